package io.laem.app.core;

import java.nio.file.Path;
import java.util.List;

/**
 * An immutable snapshot of the session, handed to background jobs and to the session file: what
 * the user opened and set. The file format is the engine's recipe YAML (see {@link Backend}).
 *
 * @param weightValues raw editable values [group][series][point] of {@code weights}' table
 */
public record SessionData(
        Path base,
        List<AdapterRef> adapters,
        List<TaskRef> tasks,
        WeightTable.Mode weightMode,
        double[][][] weightValues,
        LayerWeights weights,
        MergeSettings.Redundancy redundancy,
        double density,
        MergeSettings.Shared shared,
        double sharedEnergy,
        long seed) {

    /** An adapter of the session. */
    public record AdapterRef(String name, Path dir, boolean enabled, String color) {}

    /** A task's evaluation data. */
    public record TaskRef(String name, Path file) {}

    /** The names of the enabled adapters, in order. */
    public List<String> enabledAdapters() {
        return adapters.stream().filter(AdapterRef::enabled).map(AdapterRef::name).toList();
    }
}
