package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/** Concatenation: B' = [w_1 s_1 B_1 ...], A' = [A_1; ...], always exact, rank = sum of ranks (PEFT cat). */
final class Cat implements MergeMethod {
    @Override
    public String name() {
        return "cat";
    }

    @Override
    public String summary() {
        return "concatenated factors, exact weighted sum, rank = sum of ranks (PEFT cat)";
    }

    @Override
    public Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions o) {
        return LowRankSum.of(key, tasks, weights, null);
    }
}
