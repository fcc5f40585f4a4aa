package io.laem.engine.merge.redundancy;

import io.laem.engine.merge.recipe.Recipe.Redundancy;

/** TIES: trim to the top-k entries, elect the sign, disjoint mean. The mean is divided into the tasks' results, so that their sum with unit weights is the TIES delta and schedule weights can change without re-merging. */
final class Ties extends ElementWise {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.TIES;
    }

    @Override
    protected void sparsify(float[][] deltas, Redundancy p, long seed) {
        for (float[] d : deltas) {
            keepTopK(d, p.density());
        }
        electSign(deltas, ones(deltas.length), p.sign(), true);
    }
}
