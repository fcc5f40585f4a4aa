package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;

/** An objective that also gives its gradient with respect to every merge weight ({@link SearchMethod#GRADIENT}). */
public interface DifferentiableObjective extends Objective {
    /** A candidate's evaluation and the gradient of its value with respect to each (entry, layer, group) weight. */
    record ValueAndGradient(Evaluation evaluation, MergeWeights gradient) {}

    ValueAndGradient valueAndGradient(MergeWeights weights, CancellationToken cancel);
}
