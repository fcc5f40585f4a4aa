package io.laem.engine.merge.redundancy;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/** Keeps every task's factors as they are. */
final class NoRedundancy implements RedundancyStrategy {
    @Override
    public Redundancy.Strategy id() {
        return Redundancy.Strategy.NONE;
    }

    @Override
    public List<Result> apply(ModuleKey key, List<LoraModule> tasks, Redundancy params, int rank) {
        return tasks.stream().map(m -> new Result(m, 1.0)).toList();
    }
}
