package io.laem.engine.session;

import io.laem.engine.merge.recipe.Schedule;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The workbench's part of a session file (the recipe's {@code workbench:} key, {@link SessionFile}):
 * how each adapter is shown (color, enabled, the weights a disabled one keeps) and the merge history.
 */
public record Workbench(Map<String, AdapterView> adapters, List<HistoryEntry> history) {
    public static final Workbench EMPTY = new Workbench(Map.of(), List.of());

    public Workbench {
        adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters == null ? Map.of() : adapters));
        history = List.copyOf(history == null ? List.of() : history);
    }

    /**
     * An adapter as the workbench shows it: its color ({@code #rrggbb}, null: the palette's), whether it
     * takes part in the merge, and, for a disabled one, the weights it comes back with when enabled
     * (the recipe itself gives it weight 0, so {@code laem merge SESSION} merges what the window shows).
     */
    public record AdapterView(String color, boolean enabled, Schedule keptWeights) {}

    /** The entry numbered {@code n}, if any. */
    public java.util.Optional<HistoryEntry> entry(int n) {
        return history.stream().filter(e -> e.number() == n).findFirst();
    }
}
