package io.laem.engine.merge;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.model.ModuleKey;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * What merging needs that does not depend on the layer weights: each task's de-redundant modules
 * {@code R_t} and the shared module {@code S}, for one redundancy/shared setting. Built once by
 * {@link MergePlanner} (cache it by {@link #key()}, e.g. in {@link MergePlanCache}); merging with
 * any weights is then {@link PlanMerger#merge}, and a live engine does not merge at all:
 *
 * <pre>
 * merged delta of module (l, m) = w_shared(l, m) * S(l, m) + sum_t w_t(l, m) * R_t(l, m)
 * </pre>
 *
 * <p>For the inference engine's LoRA bank: load {@link #task(String)} for every name of
 * {@link #taskNames()} and {@link #shared()} as bank entries ({@link LoraModule}s; the delta of
 * each is {@code scale * B A}, the scale is part of the entry), and set the coefficient of entry
 * e at (l, m) to {@code recipe.weight(e, l, numLayers(), m.kind())} (with
 * {@link Recipe#SHARED} for the shared entry). Changing weights changes coefficients only.
 * A task that does not target a module has no entry there (its term is absent).
 *
 * <p>{@link #retainedEnergy()} gives, per module and task, the share of the de-redundant delta's
 * energy kept by its factors (1 when exact: rank 0 in the key, or strategies that stay in rank
 * space; below 1 when a rank cut it), and under {@link Recipe#SHARED} the share of the tasks' summed
 * energy the consensus module carries (not a loss: the projection keeps the sum).
 */
public final class MergePlan {
    /** What a plan depends on: the adapters, redundancy and shared settings, and the re-factorization rank (0: exact). */
    public record Key(Recipe.Redundancy redundancy, Shared shared, List<AdapterRef> adapters, int rank) {
        public static Key of(Recipe r) {
            int rank = r.output().exact() ? 0 : r.output().rank();
            return new Key(r.redundancy(), r.shared(), r.adapters(), r.redundancy().strategy() == Redundancy.Strategy.NONE ? 0 : rank);
        }
    }

    private final Key key;
    private final int numLayers;
    private final List<String> taskNames;
    private final Map<String, SortedMap<ModuleKey, LoraModule>> tasks;
    private final SortedMap<ModuleKey, LoraModule> shared;
    private final SortedMap<ModuleKey, Map<String, Double>> retainedEnergy;
    private final MergeInputs inputs;

    MergePlan(Key key, int numLayers, List<String> taskNames, Map<String, SortedMap<ModuleKey, LoraModule>> tasks,
              SortedMap<ModuleKey, LoraModule> shared, SortedMap<ModuleKey, Map<String, Double>> retainedEnergy, MergeInputs inputs) {
        this.key = key;
        this.numLayers = numLayers;
        this.taskNames = List.copyOf(taskNames);
        this.tasks = Collections.unmodifiableMap(tasks);
        this.shared = Collections.unmodifiableSortedMap(shared);
        this.retainedEnergy = Collections.unmodifiableSortedMap(retainedEnergy);
        this.inputs = inputs;
    }

    /** The inputs the plan was built from: what the exact de-redundant deltas are recomputed from ({@link PipelineEnergy}). */
    MergeInputs inputs() {
        return inputs;
    }

    public Key key() {
        return key;
    }

    /** Layers of the base model (the L of the schedules). */
    public int numLayers() {
        return numLayers;
    }

    /** The task names in recipe order. */
    public List<String> taskNames() {
        return taskNames;
    }

    /** Task {@code name}'s de-redundant modules R_t by module. */
    public SortedMap<ModuleKey, LoraModule> task(String name) {
        SortedMap<ModuleKey, LoraModule> m = tasks.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no task named " + name + " in this plan");
        }
        return m;
    }

    /** The shared module S by module (empty when the recipe has none). */
    public SortedMap<ModuleKey, LoraModule> shared() {
        return shared;
    }

    /** Every module that any task or the shared module targets. */
    public java.util.SortedSet<ModuleKey> modules() {
        java.util.TreeSet<ModuleKey> all = new java.util.TreeSet<>(shared.keySet());
        tasks.values().forEach(m -> all.addAll(m.keySet()));
        return all;
    }

    /** Per module, per task name: share of the de-redundant delta's energy kept by the factors; "shared": share of the sum in the consensus module. */
    public SortedMap<ModuleKey, Map<String, Double>> retainedEnergy() {
        return retainedEnergy;
    }
}
