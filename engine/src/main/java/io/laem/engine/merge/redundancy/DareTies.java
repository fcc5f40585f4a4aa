package io.laem.engine.merge.redundancy;

import io.laem.engine.merge.recipe.Recipe.Redundancy;

/** DARE-TIES as mergekit's dare_ties: DARE drop and rescale, then TIES sign election; no disjoint mean (mergekit does not normalize dare_ties). */
final class DareTies extends ElementWise {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.DARE_TIES;
    }

    @Override
    protected void sparsify(float[][] deltas, Redundancy p, long seed) {
        for (int t = 0; t < deltas.length; t++) {
            dropAndRescale(deltas[t], p.density(), seed + 7919L * (t + 1), p.rescale());
        }
        electSign(deltas, ones(deltas.length), p.sign(), false);
    }
}
