package io.laem.app.core;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.optimize.Parameterization;
import java.util.List;
import java.util.Map;

/** Types of an optimizer run as the Optimize view sees them. */
public final class Optimization {
    private Optimization() {}

    /** The search space ({@code per-task}, {@code curve:K}, {@code per-layer}, {@code per-layer-kind}), budget, seed, L1 pull. */
    public record Settings(Parameterization.Spec parameterization, int budget, long seed, double l1) {}

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
