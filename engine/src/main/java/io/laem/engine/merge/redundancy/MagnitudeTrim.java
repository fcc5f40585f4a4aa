package io.laem.engine.merge.redundancy;

import io.laem.engine.merge.recipe.Recipe.Redundancy;

/** Magnitude trim: each task keeps its top-k entries by |x| (k = density times the entry count). */
final class MagnitudeTrim extends ElementWise {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.MAGNITUDE;
    }

    @Override
    protected void sparsify(float[][] deltas, Redundancy p, long seed) {
        for (float[] d : deltas) {
            keepTopK(d, p.density());
        }
    }
}
