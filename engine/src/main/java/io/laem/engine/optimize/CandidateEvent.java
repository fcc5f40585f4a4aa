package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;

/**
 * One evaluated candidate. {@code index} counts from 0 within the run; {@code best} and
 * {@code bestWeights} are the best so far including this one.
 */
public record CandidateEvent(String label, int index, int budget, double[] x, MergeWeights weights,
        Evaluation evaluation, boolean improved, Evaluation best, MergeWeights bestWeights,
        double seconds, double evaluationsPerSecond) {
    public CandidateEvent {
        x = x.clone();
    }

    @Override
    public double[] x() {
        return x.clone();
    }
}
