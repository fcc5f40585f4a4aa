package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import java.util.Map;

/** Scores merge weights on every task (lower is better, e.g. mean validation NLL per token). */
@FunctionalInterface
public interface TaskScorer {
    Map<String, Double> score(MergeWeights weights, CancellationToken cancel);
}
