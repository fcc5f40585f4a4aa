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
     * @param rank  rank to re-factorize the de-redundant deltas to; 0: exact (each task's result as
     *              the strategy defines it, whatever rank that needs)
     */
    List<Result> apply(ModuleKey key, List<LoraModule> tasks, Redundancy params, int rank);

    /**
     * Each task's de-redundant delta as a dense [out, in] matrix (row-major, scale applied): the
     * result {@link #apply} gives at rank 0, which a lower rank approximates.
     */
    default List<float[]> exactDeltas(ModuleKey key, List<LoraModule> tasks, Redundancy params) {
        return apply(key, tasks, params, 0).stream().map(r -> r.module().denseDelta()).toList();
    }

    /**
     * A task's de-redundant module and the share of its de-redundant delta's energy (the exact result's)
     * that the factors keep: 1 when exact, below 1 when a rank cut it.
     */
    record Result(LoraModule module, double retainedEnergy) {}
}
