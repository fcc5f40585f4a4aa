package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;

/**
 * One evaluated candidate. {@code index} counts from 0 within the run; {@code best} and
 * {@code bestWeights} are the best so far including this one. {@code spent}: full evaluations' worth
 * of work so far (the budget's unit; equal to {@code index + 1} unless racing drops candidates early).
 */
public record CandidateEvent(String label, int index, int budget, double[] x, MergeWeights weights,
        Evaluation evaluation, boolean improved, Evaluation best, MergeWeights bestWeights,
        double seconds, double evaluationsPerSecond, double spent) {
    public CandidateEvent {
        x = x.clone();
    }

    @Override
    public double[] x() {
        return x.clone();
    }
}
