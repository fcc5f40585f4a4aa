package io.laem.engine.compare;

import io.laem.engine.LaemException;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import java.util.ArrayList;
import java.util.List;

/** The grid columns a user picks from: the current merge, the base, each adapter alone, MoA, a sweep. */
public final class Columns {
    public static final String CURRENT = "current";
    public static final String BASE = "base";
    public static final String MOA = "MoA";

    private Columns() {}

    /** The recipe's merge as it is. */
    public static GridSpec.Column current(Recipe r) {
        return new GridSpec.Column(CURRENT, new ColumnMerge.OfRecipe(r));
    }

    public static GridSpec.Column base() {
        return new GridSpec.Column(BASE, new ColumnMerge.Base());
    }

    public static GridSpec.Column moa() {
        return new GridSpec.Column(MOA, new ColumnMerge.Moa());
    }

    /** Each of the recipe's adapters alone, as it is (no redundancy removal), at weight 1: one plan serves them all. */
    public static List<GridSpec.Column> adapters(Recipe r, int numLayers) {
        List<GridSpec.Column> out = new ArrayList<>();
        for (String name : r.adapterNames()) {
            out.add(adapter(r, name, numLayers));
        }
        return out;
    }

    public static GridSpec.Column adapter(Recipe r, String name, int numLayers) {
        return new GridSpec.Column(name, new ColumnMerge.Weights(asTheyAre(r), alone(r.adapterNames(), numLayers, name)));
    }

    /** The recipe's adapters as they are: no redundancy removal, no shared module. */
    public static Recipe asTheyAre(Recipe r) {
        return r.withRedundancy(Recipe.Redundancy.NONE).withShared(Recipe.Shared.NONE);
    }

    /** One entry at weight 1 everywhere, the others at 0. */
    public static MergeWeights alone(List<String> entries, int numLayers, String name) {
        int i = entries.indexOf(name);
        if (i < 0) {
            throw new LaemException("no adapter '" + name + "' in the merge (adapters: " + String.join(", ", entries) + ")");
        }
        return MergeWeights.of(entries, numLayers, (e, l, g) -> e == i ? 1.0 : 0.0);
    }

    /** A merge kept in the session's history: its recipe, labelled {@code #N label}. */
    public static GridSpec.Column history(int number, String label, Recipe r) {
        return new GridSpec.Column("#" + number + (label == null || label.isBlank() ? "" : " " + label.strip()), new ColumnMerge.OfRecipe(r));
    }

    /** One column per value of the sweep, each the recipe with the swept weight at that value. */
    public static List<GridSpec.Column> sweep(Recipe r, Sweep s, int numLayers) {
        List<GridSpec.Column> out = new ArrayList<>();
        for (double v : s.values()) {
            out.add(new GridSpec.Column(s.label(v), new ColumnMerge.OfRecipe(s.apply(r, v, numLayers))));
        }
        return out;
    }

    /**
     * Columns by name, in the order given: {@code current}, {@code base}, {@code adapters} (each adapter
     * alone), an adapter's name (that adapter alone), {@code moa}.
     */
    public static List<GridSpec.Column> named(Recipe r, List<String> names, int numLayers) {
        List<GridSpec.Column> out = new ArrayList<>();
        for (String n : names) {
            switch (n.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "current" -> out.add(current(r));
                case "base" -> out.add(base());
                case "adapters" -> out.addAll(adapters(r, numLayers));
                case "moa" -> out.add(moa());
                default -> {
                    if (!r.adapterNames().contains(n.trim())) {
                        throw new LaemException("--columns: '" + n.trim() + "' is not current, base, adapters, moa or an adapter ("
                                + String.join(", ", r.adapterNames()) + ")");
                    }
                    out.add(adapter(r, n.trim(), numLayers));
                }
            }
        }
        return out;
    }
}
