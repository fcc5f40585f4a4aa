package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/**
 * Shared frame of the element-wise methods (mergekit's generalized task arithmetic): the module's
 * full task deltas, a method-specific sparsify/elect step, the weighted sum, re-factorized to the
 * output rank (default: the sum of the input ranks).
 */
abstract class DenseCombination implements MergeMethod {
    /** Modifies the deltas in place; afterwards the merged delta is {@code sum_t w_t x_t}. */
    protected abstract void prepare(float[][] deltas, double[] weights, MethodOptions o, long seed);

    @Override
    public final Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions o) {
        LoraModule first = tasks.getFirst();
        float[][] x = new float[tasks.size()][];
        for (int t = 0; t < x.length; t++) {
            x[t] = LowRank.denseDelta(tasks.get(t));
        }
        long seed = io.laem.engine.merge.redundancy.ElementWise.moduleSeed(o.seed(), key);
        prepare(x, weights, o, seed);
        float[] sum = new float[x[0].length];
        for (int t = 0; t < x.length; t++) {
            float w = (float) weights[t];
            float[] xt = x[t];
            for (int i = 0; i < sum.length; i++) {
                sum[i] += w * xt[i];
            }
            x[t] = null;
        }
        int rank = o.rank() != null ? o.rank() : tasks.stream().mapToInt(LoraModule::rank).sum();
        Factors f = LowRank.dense(sum, first.out(), first.in(), rank, seed);
        return new Result(new LoraModule(key, f.rank(), first.in(), first.out(), f.a(), f.b(), 1.0), f.retainedEnergy());
    }
}
