package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import java.util.List;

/**
 * The weights of the methods LAEM is compared with, on a plan's entries (task adapters as they
 * are for uniform, task arithmetic and single adapters; the TIES plan's entries for TIES, whose
 * disjoint mean is already divided into them, so unit weights give the TIES merge).
 */
public final class Baselines {
    private Baselines() {}

    /** Plain average: 1/T for each of T entries. */
    public static MergeWeights uniform(List<String> entries, int numLayers) {
        return MergeWeights.constant(entries, numLayers, 1.0 / entries.size());
    }

    /** Task arithmetic: the sum of the task deltas scaled by lambda (Ilharco et al.). */
    public static MergeWeights taskArithmetic(List<String> entries, int numLayers, double lambda) {
        return MergeWeights.constant(entries, numLayers, lambda);
    }

    /** TIES on a TIES plan: unit weights (mergekit's weight 1, lambda 1). */
    public static MergeWeights ties(List<String> entries, int numLayers) {
        return MergeWeights.constant(entries, numLayers, 1.0);
    }

    /** One adapter alone at weight 1, the others at 0. */
    public static MergeWeights single(List<String> entries, int numLayers, String name) {
        int i = entries.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no entry " + name + " in " + entries);
        }
        return MergeWeights.of(entries, numLayers, (e, l, g) -> e == i ? 1.0 : 0.0);
    }

    /** Every weight zero: the base model. */
    public static MergeWeights base(List<String> entries, int numLayers) {
        return MergeWeights.constant(entries, numLayers, 0);
    }
}
