package io.laem.app.core;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind.Group;
import io.laem.engine.session.HistoryEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the session, handed to background jobs and saved as the engine's recipe
 * YAML (what {@code laem merge} runs) plus its tasks file.
 *
 * @param weightValues the weight table's control points [group][series][point] (a view of its schedules)
 * @param weights the weights at every layer, as the live merge takes them (entries: adapters, then shared)
 * @param tasksFile the tasks YAML the session was read from, or null when its tasks changed
 * @param history the merge history, oldest first (the engine's {@link HistoryEntry}, saved in the session file)
 */
public record SessionData(
        Path base,
        List<AdapterRef> adapters,
        List<TaskRef> tasks,
        Path tasksFile,
        WeightTable.Mode weightMode,
        double[][][] weightValues,
        MergeWeights weights,
        MergeSettings.Values settings,
        long seed,
        List<HistoryEntry> history) {

    public SessionData {
        history = history == null ? List.of() : List.copyOf(history);
    }

    /** An adapter of the session. */
    public record AdapterRef(String name, Path dir, boolean enabled, String color) {}

    /** A task's validation data. */
    public record TaskRef(String name, Path file) {}

    /** The names of the enabled adapters, in order. */
    public List<String> enabledAdapters() {
        return adapters.stream().filter(AdapterRef::enabled).map(AdapterRef::name).toList();
    }

    /**
     * The recipe of this session. With {@code enabledOnly} (merging, exporting) disabled adapters are
     * left out; otherwise (saving) they stay with weight 0, which is how a reload knows them as off.
     */
    public Recipe toRecipe(boolean enabledOnly, Path tasks) {
        List<Recipe.AdapterRef> refs = new ArrayList<>();
        Map<String, Schedule> w = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            AdapterRef a = adapters.get(i);
            if (enabledOnly && !a.enabled()) {
                continue;
            }
            refs.add(new Recipe.AdapterRef(a.name(), a.dir()));
            w.put(a.name(), a.enabled() ? schedule(i) : Schedule.constant(0));
        }
        if (settings.shared().mode() != Recipe.Shared.Mode.NONE) {
            w.put(Recipe.SHARED, schedule(adapters.size()));
        }
        return new Recipe(base, refs, settings.redundancy(), settings.shared(), w, settings.output(), tasks);
    }

    /** The schedule of series {@code series} (an adapter's index, or the adapters' count for the shared module). */
    public Schedule schedule(int series) {
        if (weights != null && weights.layout() == MergeWeights.Layout.MODULES) { // held per-module weights (WeightTable)
            return Schedule.perModule(weights.numLayers(), (l, k) -> weights.get(series, l, k));
        }
        return WeightTable.schedule(weightValues[Group.ATTN.ordinal()][series], weightValues[Group.MLP.ordinal()][series]);
    }

    /** What the session reads, which no save or export may write over: the base, every adapter, the task data and tasks file. */
    public List<Path> inputs() {
        List<Path> in = new ArrayList<>();
        in.add(base);
        adapters.forEach(a -> in.add(a.dir()));
        tasks.forEach(t -> in.add(t.file()));
        in.add(tasksFile);
        return in;
    }
}
