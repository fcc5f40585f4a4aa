package io.laem.engine.merge.redundancy;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/**
 * Removes redundancy from the task adapters' deltas of one module: {@code R_t} from
 * {@code D_t = s_t B_t A_t}. One class per strategy, found by name in {@link RedundancyStrategies}.
 */
public interface RedundancyStrategy {
    Redundancy.Strategy id();

    /**
     * The de-redundant factors of each task for one module, in the order given.
     *
     * @param tasks the tasks that target this module (same key, same shape)
     * @param rank  rank to re-factorize full deltas to; 0 keeps each task's own rank
     */
    List<Result> apply(ModuleKey key, List<LoraModule> tasks, Redundancy params, int rank);

    /** A task's de-redundant module and the share of its (post-removal) delta energy the factors keep. */
    record Result(LoraModule module, double retainedEnergy) {}
}
