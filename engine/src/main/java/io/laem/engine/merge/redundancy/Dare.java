package io.laem.engine.merge.redundancy;

import io.laem.engine.merge.recipe.Recipe.Redundancy;

/** DARE: each entry kept with probability density and rescaled by 1/density; seeded per module and task. */
final class Dare extends ElementWise {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.DARE;
    }

    @Override
    protected void sparsify(float[][] deltas, Redundancy p, long seed) {
        for (int t = 0; t < deltas.length; t++) {
            dropAndRescale(deltas[t], p.density(), seed + 7919L * (t + 1), p.rescale());
        }
    }
}
