package io.laem.app.core;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.optimize.Parameterization;
import java.util.List;
import java.util.Map;

/** Types of an optimizer run as the Optimize view sees them. */
public final class Optimization {
    private Optimization() {}

    /**
     * The search space ({@code per-task}, {@code curve:K}, {@code per-layer}, {@code per-layer-kind},
     * {@code per-layer-module}), budget, seed, L1 pull, and the task balance: each task's weight in the objective's
     * mean (tasks not named weigh 1).
     */
    public record Settings(Parameterization.Spec parameterization, int budget, long seed, double l1, Map<String, Double> taskWeights) {
        public Settings {
            taskWeights = Map.copyOf(taskWeights);
        }

        public Settings(Parameterization.Spec parameterization, int budget, long seed, double l1) {
            this(parameterization, budget, seed, l1, Map.of());
        }
    }

    /**
     * One task's trade-off in a finished run's comparison: the found merge's score on the task
     * ({@code merged}) against the task's own adapter's ({@code adapter}; NaN when no adapter has the
     * task's name), in the comparison's first metric per task (exact match on the test split).
     */
    public record TaskTradeOff(String task, double merged, double adapter) {
        /** The merge's share of the adapter's score (NaN without an adapter or with a zero score). */
        public double ratio() {
            return adapter > 0 ? merged / adapter : Double.NaN;
        }
    }

    /**
     * One evaluation: its number, objective (lower is better), per-task scores, the best objective
     * so far, and the best weights so far (null before the first).
     */
    public record Event(int evaluation, double objective, Map<String, Double> taskScores, double best,
            MergeWeights bestWeights) {}

    /**
     * The end of a run. {@code comparison} rows: base, each adapter, uniform, TIES, LAEM;
     * {@code settings}: the merge plan the best weights belong to (null: the session's).
     */
    public record Outcome(MergeWeights bestWeights, double best, int evaluations, Comparison comparison,
            MergeSettings.Values settings) {}

    /** A table of methods x tasks (a metric per cell, lower or higher is better as {@code metric} says). */
    public record Comparison(String metric, List<String> tasks, List<String> methods, double[][] values) {}
}
