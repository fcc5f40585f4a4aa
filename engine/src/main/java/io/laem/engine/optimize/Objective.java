package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;

/**
 * What a run minimizes: candidate merge weights to a value and per-task scores. Implementations
 * should poll {@code cancel.check()} between batches of work so that cancelling is prompt.
 */
@FunctionalInterface
public interface Objective {
    Evaluation evaluate(MergeWeights weights, CancellationToken cancel);
}
