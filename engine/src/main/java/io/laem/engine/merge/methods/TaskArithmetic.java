package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/** Task arithmetic: sum_t w_t D_t of the full deltas (mergekit task_arithmetic), exact unless a rank is given. */
final class TaskArithmetic implements MergeMethod {
    @Override
    public String name() {
        return "task_arithmetic";
    }

    @Override
    public String summary() {
        return "sum of weighted deltas, exact (mergekit task_arithmetic)";
    }

    @Override
    public Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions o) {
        return LowRankSum.of(key, tasks, weights, o.rank());
    }
}
