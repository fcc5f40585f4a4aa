package io.laem.engine.merge.redundancy;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.model.ModuleKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Spectral: each task's delta keeps its fewest top singular directions whose energy (sum of
 * squared singular values) reaches the {@code energy} threshold; the rest are dropped. Computed in
 * rank space (factorizations of B and A^T, SVD of the r x r core), never an out x in matrix. A rank, when given,
 * caps the directions kept; the retained energy is the share of the kept-by-threshold directions' energy
 * that the cap keeps (1 without a cap: the removal itself is the strategy, not a loss).
 */
final class Spectral implements RedundancyStrategy {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.SPECTRAL;
    }

    @Override
    public List<Result> apply(ModuleKey key, List<LoraModule> tasks, Redundancy params, int rank) {
        List<Result> out = new ArrayList<>();
        for (LoraModule m : tasks) {
            Factors all = LowRank.truncate(LowRank.matrix(m.b(), m.out(), m.rank()).muli(m.scale()),
                    LowRank.matrix(m.a(), m.rank(), m.in()), m.rank());
            int wanted = LowRank.directionsFor(all.singularValues(), params.energy());
            int keep = rank > 0 ? Math.min(wanted, rank) : wanted;
            Factors f = LowRank.truncate(LowRank.matrix(all.b(), m.out(), all.rank()), LowRank.matrix(all.a(), all.rank(), m.in()), keep);
            // the de-redundant delta is the `wanted` directions; a rank below that cuts it
            double total = energy(all.singularValues(), wanted);
            out.add(new Result(new LoraModule(key, f.rank(), m.in(), m.out(), f.a(), f.b(), 1.0),
                    total == 0 ? 1.0 : Math.min(1.0, energy(all.singularValues(), f.rank()) / total)));
        }
        return out;
    }

    private static double energy(double[] sv, int n) {
        double e = 0;
        for (int i = 0; i < n; i++) {
            e += sv[i] * sv[i];
        }
        return e;
    }
}
