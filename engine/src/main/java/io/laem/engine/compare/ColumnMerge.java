package io.laem.engine.compare;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;

/** What a grid column shows in the live merge while its cells are generated. */
public sealed interface ColumnMerge {
    /** The base model alone. */
    record Base() implements ColumnMerge {}

    /** A recipe with its weights, as {@code laem generate --recipe} shows it (the current merge, a sweep value). */
    record OfRecipe(Recipe recipe) implements ColumnMerge {}

    /** Given weights on the plan of {@code planOf}'s redundancy/shared setting (an adapter alone, a history entry). */
    record Weights(Recipe planOf, MergeWeights weights) implements ColumnMerge {}

    /** Mixture of LoRAs: each prompt routed to one adapter by the runner's router. */
    record Moa() implements ColumnMerge {}
}
