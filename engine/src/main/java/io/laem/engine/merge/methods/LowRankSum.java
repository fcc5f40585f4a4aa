package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.model.ModuleKey;
import java.util.Arrays;
import java.util.List;

/** Shared step of the methods that stay in rank space: the weighted sum of deltas, concatenated, cut to a rank if given. */
final class LowRankSum {
    private LowRankSum() {}

    static MergeMethod.Result of(ModuleKey key, List<LoraModule> tasks, double[] weights, Integer rank) {
        LoraModule cat = LowRank.concatenate(key, tasks, Arrays.stream(weights).boxed().toList());
        if (rank == null || cat.rank() <= rank) {
            return new MergeMethod.Result(cat, 1.0);
        }
        Factors f = LowRank.truncate(LowRank.matrix(cat.b(), cat.out(), cat.rank()), LowRank.matrix(cat.a(), cat.rank(), cat.in()), rank);
        return new MergeMethod.Result(new LoraModule(key, f.rank(), cat.in(), cat.out(), f.a(), f.b(), 1.0), f.retainedEnergy());
    }
}
