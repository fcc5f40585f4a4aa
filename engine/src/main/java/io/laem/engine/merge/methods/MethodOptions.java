package io.laem.engine.merge.methods;

import io.laem.engine.merge.recipe.Recipe;

/**
 * Parameters of the baseline methods: density and sign election for the sparsifying ones, the seed
 * for DARE, and the output rank (null: the method's default, exact where the method allows it).
 */
public record MethodOptions(double density, Recipe.Redundancy.Sign sign, long seed, Integer rank) {
    /** Taken from a recipe's redundancy and output settings. */
    public static MethodOptions of(Recipe r) {
        return new MethodOptions(r.redundancy().density(), r.redundancy().sign(), r.redundancy().seed(), r.output().rank());
    }
}
