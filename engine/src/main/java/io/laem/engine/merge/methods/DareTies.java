package io.laem.engine.merge.methods;

import io.laem.engine.merge.redundancy.ElementWise;

/** DARE-TIES as mergekit's dare_ties: DARE drop and rescale, sign election on the weighted deltas, weighted sum of the agreeing entries (no normalization). */
final class DareTies extends DenseCombination {
    @Override
    public String name() {
        return "dare_ties";
    }

    @Override
    public String summary() {
        return "DARE drop/rescale, sign election, weighted sum (mergekit dare_ties)";
    }

    @Override
    protected void prepare(float[][] x, double[] weights, MethodOptions o, long seed) {
        for (int t = 0; t < x.length; t++) {
            ElementWise.dropAndRescale(x[t], o.density(), seed + 7919L * (t + 1), o.rescale());
        }
        ElementWise.electSign(x, weights, o.sign(), false);
    }
}
