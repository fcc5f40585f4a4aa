package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/**
 * SVD: the best rank-N approximation of sum_t w_t D_t (N: the output rank, default the largest
 * input rank, as PEFT's svd), in rank space. Each delta's scale is applied once (PEFT applies it twice).
 */
final class Svd implements MergeMethod {
    @Override
    public String name() {
        return "svd";
    }

    @Override
    public String summary() {
        return "best rank-N approximation of the weighted sum (PEFT svd, scale applied once)";
    }

    @Override
    public Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions o) {
        int rank = o.rank() != null ? o.rank() : tasks.stream().mapToInt(LoraModule::rank).max().orElse(1);
        return LowRankSum.of(key, tasks, weights, rank);
    }
}
