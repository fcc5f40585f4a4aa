package io.laem.engine.merge.methods;

import io.laem.engine.merge.redundancy.ElementWise;

/** TIES as mergekit's ties: trim each delta to its top density entries, elect the sign on the weighted deltas, disjoint weighted mean (sum_t w_t x_t m_t / sum_t w_t m_t). */
final class Ties extends DenseCombination {
    @Override
    public String name() {
        return "ties";
    }

    @Override
    public String summary() {
        return "trim to density, elect sign, disjoint weighted mean (mergekit ties)";
    }

    @Override
    protected void prepare(float[][] x, double[] weights, MethodOptions o, long seed) {
        for (float[] d : x) {
            ElementWise.keepTopK(d, o.density());
        }
        ElementWise.electSign(x, weights, o.sign(), true);
    }
}
