package io.laem.engine.session;

import io.laem.engine.eval.TaskScore;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One merge the user evaluated, applied from the optimizer or exported: its number in the session's
 * history (1, 2, ...; never reused), a short label the user may edit, when and why it was kept, the
 * complete recipe of the merge (enabled adapters only, so it is exactly what was merged), and the
 * per-task scores on {@code split} when it was evaluated (empty otherwise).
 */
public record HistoryEntry(int number, String label, Instant time, Source source, String split, Recipe recipe,
                           Map<String, TaskScore> scores) {
    /** Why an entry was kept: evaluated (Run > Evaluate), applied from the optimizer, exported, or kept by hand. */
    public enum Source {
        EVALUATED, OPTIMIZER, EXPORTED, KEPT;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public HistoryEntry {
        if (number < 1) {
            throw new IllegalArgumentException("history entries are numbered from 1");
        }
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(time, "time");
        label = label == null ? "" : label;
        scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores == null ? Map.of() : scores));
    }

    public HistoryEntry withLabel(String l) {
        return new HistoryEntry(number, l, time, source, split, recipe, scores);
    }

    /** The merge entries of the recipe: its adapters, then the shared module when it has one. */
    public List<String> entries() {
        List<String> e = new ArrayList<>(recipe.adapterNames());
        if (recipe.shared().mode() != Recipe.Shared.Mode.NONE) {
            e.add(Recipe.SHARED);
        }
        return e;
    }

    /** The weight of every entry at every layer and module group. */
    public MergeWeights weights(int numLayers) {
        return MergeWeights.fromRecipe(recipe, entries(), numLayers);
    }

    /** The next free number after {@code history}'s entries. */
    public static int nextNumber(List<HistoryEntry> history) {
        return history.stream().mapToInt(HistoryEntry::number).max().orElse(0) + 1;
    }
}
