package io.laem.app.core;

import java.util.List;
import java.util.Map;

/** Types of an optimizer run as the Optimize view sees them. */
public final class Optimization {
    private Optimization() {}

    /** The search space: one weight per task, K control points per task, or one per layer (and kind). */
    public enum Parameterization {
        PER_TASK("per task"), CONTROL_POINTS("control points"), PER_LAYER("per layer"), PER_LAYER_AND_KIND("per layer and kind");

        private final String key;

        Parameterization(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    public record Settings(Parameterization parameterization, int controlPoints, int budget, long seed, double l1) {}

    /**
     * One evaluation: its number, objective (lower is better), per-task scores, the best objective
     * so far, and the best weights so far as a table [group][series][layer].
     */
    public record Event(int evaluation, double objective, Map<String, Double> taskScores, double best,
            double[][][] bestWeights) {}

    /**
     * The end of a run. {@code comparison} rows: base, each adapter, uniform, TIES, LAEM;
     * {@code settings}: the merge plan the best weights belong to (null: the session's).
     */
    public record Outcome(double[][][] bestWeights, double best, int evaluations, Comparison comparison,
            MergeSettings.Values settings) {}

    /** A table of methods x tasks (a metric per cell, lower or higher is better as {@code metric} says). */
    public record Comparison(String metric, List<String> tasks, List<String> methods, double[][] values) {}
}
