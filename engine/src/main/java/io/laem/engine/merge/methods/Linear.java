package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/**
 * Linear: the weighted mean of the full deltas, sum_t w_t D_t / sum_t w_t (mergekit linear with its
 * default normalize: true). Unlike PEFT's "linear", A and B are not averaged separately, so there
 * are no cross terms B_i A_j.
 */
final class Linear implements MergeMethod {
    @Override
    public String name() {
        return "linear";
    }

    @Override
    public String summary() {
        return "weighted mean of deltas, weights normalized to sum 1 (mergekit linear)";
    }

    @Override
    public Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions o) {
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        double norm = Math.abs(sum) < 1e-8 ? 1 : sum; // mergekit leaves near-zero divisors at 1
        double[] w = new double[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights[i] / norm;
        }
        return LowRankSum.of(key, tasks, w, o.rank());
    }
}
