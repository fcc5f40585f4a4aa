package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.LaemException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The LAEM objective around a {@link TaskScorer}: the (weighted) mean of the task losses, plus
 * optional terms:
 * <ul>
 *   <li>an L1 pull toward prior weights, {@code l1 * mean|w - prior|} over every (entry, layer,
 *       group) weight (LoraHub: 0.05 toward zero);
 *   <li>a floor per task: when a task's loss exceeds its own adapter's loss by more than
 *       {@code ln(1/fraction)} (its per-token likelihood falls below {@code fraction} of the
 *       adapter's), {@code penalty} times the excess is added.
 * </ul>
 * Immutable; the {@code with} methods return modified copies.
 */
public final class TaskLossObjective implements Objective {
    private final TaskScorer scorer;
    private final Map<String, Double> taskWeights;
    private final double l1;
    private final MergeWeights prior;
    private final Map<String, Double> ownLosses;
    private final double floorFraction;
    private final double penalty;

    private TaskLossObjective(TaskScorer scorer, Map<String, Double> taskWeights, double l1, MergeWeights prior,
            Map<String, Double> ownLosses, double floorFraction, double penalty) {
        this.scorer = scorer;
        this.taskWeights = Map.copyOf(taskWeights);
        this.l1 = l1;
        this.prior = prior;
        this.ownLosses = Map.copyOf(ownLosses);
        this.floorFraction = floorFraction;
        this.penalty = penalty;
    }

    /** The plain mean of the task losses. */
    public static TaskLossObjective of(TaskScorer scorer) {
        return new TaskLossObjective(scorer, Map.of(), 0, null, Map.of(), 0, 0);
    }

    /** Relative task weights (tasks not named weigh 1). */
    public TaskLossObjective withTaskWeights(Map<String, Double> weights) {
        weights.forEach((t, w) -> {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new LaemException("task weight of '" + t + "' must be a finite number >= 0, got " + w);
            }
        });
        return new TaskLossObjective(scorer, weights, l1, prior, ownLosses, floorFraction, penalty);
    }

    /** Adds {@code strength * mean|w - prior|}; a null prior means zero weights. */
    public TaskLossObjective withL1(double strength, MergeWeights prior) {
        if (!(strength >= 0)) {
            throw new LaemException("L1 strength must be >= 0, got " + strength);
        }
        return new TaskLossObjective(scorer, taskWeights, strength, prior, ownLosses, floorFraction, penalty);
    }

    /**
     * Penalizes a task whose per-token likelihood falls below {@code fraction} of its own adapter's
     * ({@code ownLosses}: each task's loss with its own adapter alone).
     */
    public TaskLossObjective withFloor(Map<String, Double> ownLosses, double fraction, double penalty) {
        if (!(fraction > 0 && fraction <= 1) || !(penalty >= 0)) {
            throw new LaemException("floor fraction must be in (0, 1] and penalty >= 0, got " + fraction + ", " + penalty);
        }
        return new TaskLossObjective(scorer, taskWeights, l1, prior, ownLosses, fraction, penalty);
    }

    /** A task's relative weight in the mean (1 unless set). */
    public double taskWeight(String task) {
        return taskWeights.getOrDefault(task, 1.0);
    }

    /**
     * The gradient of the value with respect to the weights, given the gradient of the weighted mean
     * of the task losses ({@code lossGradient}): adds the L1 term's (sign(w - prior) / n). The floor
     * has no gradient here: a floored objective cannot be differentiated this way.
     */
    public MergeWeights gradient(MergeWeights weights, MergeWeights lossGradient) {
        if (penalty > 0) {
            throw new LaemException("the floor penalty (--floor) has no gradient: use cma-es or racing with it");
        }
        if (l1 <= 0) {
            return lossGradient;
        }
        MergeWeights.Layout layout = weights.layout();
        MergeWeights p = (prior != null ? prior : MergeWeights.constant(weights.entries(), weights.numLayers(), 0)).in(layout);
        MergeWeights g = lossGradient.in(layout);
        double n = weights.entries().size() * weights.numLayers() * layout.slots();
        return MergeWeights.ofSlots(layout, weights.entries(), weights.numLayers(),
                (e, l, s) -> g.getSlot(e, l, s) + l1 * Math.signum(weights.getSlot(e, l, s) - p.getSlot(e, l, s)) / n);
    }

    @Override
    public Evaluation evaluate(MergeWeights weights, CancellationToken cancel) {
        return combine(weights, scorer.score(weights, cancel));
    }

    /** The objective's value for weights whose task losses are {@code taskLosses} (e.g. on part of the data). */
    public Evaluation combine(MergeWeights weights, Map<String, Double> taskLosses) {
        Map<String, Double> scores = new LinkedHashMap<>(taskLosses);
        double sum = 0;
        double norm = 0;
        for (var e : scores.entrySet()) {
            double a = taskWeights.getOrDefault(e.getKey(), 1.0);
            sum += a * e.getValue();
            norm += a;
        }
        double value = norm > 0 ? sum / norm : 0;
        if (l1 > 0) {
            MergeWeights p = prior != null ? prior : MergeWeights.constant(weights.entries(), weights.numLayers(), 0);
            value += l1 * weights.meanAbsDistance(p);
        }
        if (penalty > 0) {
            double slack = Math.log(1 / floorFraction);
            for (var e : scores.entrySet()) {
                Double own = ownLosses.get(e.getKey());
                if (own != null) {
                    value += penalty * Math.max(0, e.getValue() - own - slack);
                }
            }
        }
        if (Double.isNaN(value)) {
            value = Double.POSITIVE_INFINITY; // a diverged candidate is the worst, never the best
        }
        return new Evaluation(value, scores);
    }
}
