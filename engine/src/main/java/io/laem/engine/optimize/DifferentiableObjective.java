package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;

/** An objective that also gives its gradient with respect to every merge weight ({@link SearchMethod#GRADIENT}). */
public interface DifferentiableObjective extends Objective {
    /** A candidate's evaluation and the gradient of its value with respect to each (entry, layer, group) weight. */
    record ValueAndGradient(Evaluation evaluation, MergeWeights gradient) {}

    ValueAndGradient valueAndGradient(MergeWeights weights, CancellationToken cancel);

    /** Minibatches the objective's data is dealt into (1: every gradient is the whole objective's). */
    default int batches() {
        return 1;
    }

    /**
     * Value and gradient on minibatch {@code batch} (0 .. {@link #batches()} - 1) alone: an unbiased estimate of the
     * whole objective's, at a {@code batches()}-th of the cost.
     */
    default ValueAndGradient valueAndGradient(MergeWeights weights, int batch, CancellationToken cancel) {
        return valueAndGradient(weights, cancel);
    }
}
