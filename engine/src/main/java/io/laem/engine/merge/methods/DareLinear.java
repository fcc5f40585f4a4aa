package io.laem.engine.merge.methods;

import io.laem.engine.merge.redundancy.ElementWise;

/** DARE-linear as mergekit's dare_linear: DARE drop and rescale, then the weighted sum. */
final class DareLinear extends DenseCombination {
    @Override
    public String name() {
        return "dare_linear";
    }

    @Override
    public String summary() {
        return "DARE drop/rescale, weighted sum (mergekit dare_linear)";
    }

    @Override
    protected void prepare(float[][] x, double[] weights, MethodOptions o, long seed) {
        for (int t = 0; t < x.length; t++) {
            ElementWise.dropAndRescale(x[t], o.density(), seed + 7919L * (t + 1), o.rescale());
        }
    }
}
