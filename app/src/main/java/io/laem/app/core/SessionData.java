package io.laem.app.core;

import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the session, handed to background jobs and saved as the engine's recipe
 * YAML (what {@code laem merge} runs) plus its tasks file.
 *
 * @param weightValues the weight table's raw values [group][series][point]
 * @param tasksFile the tasks YAML the session was read from, or null when its tasks changed
 */
public record SessionData(
        Path base,
        List<AdapterRef> adapters,
        List<TaskRef> tasks,
        Path tasksFile,
        WeightTable.Mode weightMode,
        double[][][] weightValues,
        LayerWeights weights,
        MergeSettings.Values settings,
        long seed) {

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

    private Schedule schedule(int series) {
        double[] attn = weightValues[Group.ATTN.ordinal()][series];
        double[] mlp = weightValues[Group.MLP.ordinal()][series];
        Schedule a = points(attn);
        return java.util.Arrays.equals(attn, mlp) ? a : Schedule.perGroup(a, points(mlp));
    }

    private static Schedule points(double[] v) {
        return v.length == 1 ? Schedule.constant(v[0]) : Schedule.gradient(v);
    }
}
