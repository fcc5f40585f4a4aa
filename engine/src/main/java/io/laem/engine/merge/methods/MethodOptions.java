package io.laem.engine.merge.methods;

import io.laem.engine.merge.recipe.Recipe;

/**
 * Parameters of the baseline methods: density and sign election for the sparsifying ones, the seed
 * and rescale for DARE, and the output rank (null: the method's default, exact where the method allows it).
 */
public record MethodOptions(double density, Recipe.Redundancy.Sign sign, long seed, Integer rank, Recipe.Redundancy.Rescale rescale) {
    public MethodOptions {
        rescale = rescale == null ? Recipe.Redundancy.Rescale.DENSITY : rescale;
    }

    /** With DARE's rescale by 1/density. */
    public MethodOptions(double density, Recipe.Redundancy.Sign sign, long seed, Integer rank) {
        this(density, sign, seed, rank, Recipe.Redundancy.Rescale.DENSITY);
    }

    /** Taken from a recipe's redundancy and output settings. */
    public static MethodOptions of(Recipe r) {
        return new MethodOptions(r.redundancy().density(), r.redundancy().sign(), r.redundancy().seed(), r.output().rank(),
                r.redundancy().rescale());
    }
}
