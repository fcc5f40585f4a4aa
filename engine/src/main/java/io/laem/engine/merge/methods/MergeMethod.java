package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;

/**
 * A baseline merge method: combines the task deltas of one module with per-task weights into one
 * module (scale 1). One class per method, found by name in {@link MergeMethods}; docs/merge-methods.md
 * relates each to PEFT's add_weighted_adapter and mergekit.
 */
public interface MergeMethod {
    /** The name used on the command line and in docs (e.g. {@code ties}). */
    String name();

    /** One line for help texts. */
    String summary();

    /**
     * Merges one module.
     *
     * @param tasks   the task modules targeting it (delta {@code scale * B A} each)
     * @param weights one weight per task
     */
    Result merge(ModuleKey key, List<LoraModule> tasks, double[] weights, MethodOptions options);

    /** The merged module and the share of the method's merged delta energy its factors keep. */
    record Result(LoraModule module, double retainedEnergy) {}
}
