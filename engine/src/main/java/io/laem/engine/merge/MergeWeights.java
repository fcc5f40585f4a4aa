package io.laem.engine.merge;

import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKind;
import java.util.Arrays;
import java.util.List;

/**
 * The merge weights a candidate stands for: one number per (entry, layer, module group), where an
 * entry is a task adapter of the merge plan or its shared module. This is what a candidate changes
 * in the LoRA bank, and what a recipe's {@code weights:} section describes.
 */
public final class MergeWeights {
    /** Number of module groups (attention, MLP). */
    public static final int GROUPS = ModuleKind.Group.values().length;

    private final List<String> entries;
    private final int numLayers;
    private final double[] values; // [entry][layer][group]

    private MergeWeights(List<String> entries, int numLayers, double[] values) {
        if (entries.isEmpty() || numLayers < 1) {
            throw new IllegalArgumentException("merge weights need at least one entry and one layer");
        }
        if (entries.stream().distinct().count() != entries.size()) {
            throw new IllegalArgumentException("duplicate entry names: " + entries);
        }
        this.entries = List.copyOf(entries);
        this.numLayers = numLayers;
        this.values = values;
    }

    /** Every weight equal to {@code value}. */
    public static MergeWeights constant(List<String> entries, int numLayers, double value) {
        double[] v = new double[entries.size() * numLayers * GROUPS];
        Arrays.fill(v, value);
        return new MergeWeights(entries, numLayers, v);
    }

    /** Weights given by a function of (entry index, layer, group). */
    public static MergeWeights of(List<String> entries, int numLayers, WeightFunction f) {
        double[] v = new double[entries.size() * numLayers * GROUPS];
        for (int e = 0; e < entries.size(); e++) {
            for (int l = 0; l < numLayers; l++) {
                for (ModuleKind.Group g : ModuleKind.Group.values()) {
                    v[(e * numLayers + l) * GROUPS + g.ordinal()] = f.weight(e, l, g);
                }
            }
        }
        return new MergeWeights(entries, numLayers, v);
    }

    /**
     * The weights a recipe gives its entries (an entry the recipe does not name gets the recipe's
     * default, 1). Attention and MLP weights are read from q_proj and gate_proj: a recipe schedule
     * differs at most per group.
     */
    public static MergeWeights fromRecipe(Recipe recipe, List<String> entries, int numLayers) {
        return of(entries, numLayers, (e, l, g) -> recipe.weight(entries.get(e), l, numLayers,
                g == ModuleKind.Group.ATTN ? ModuleKind.Q_PROJ : ModuleKind.GATE_PROJ));
    }

    /** A weight as a function of (entry index, layer, group). */
    @FunctionalInterface
    public interface WeightFunction {
        double weight(int entry, int layer, ModuleKind.Group group);
    }

    public List<String> entries() {
        return entries;
    }

    public int numLayers() {
        return numLayers;
    }

    public int indexOf(String entry) {
        int i = entries.indexOf(entry);
        if (i < 0) {
            throw new IllegalArgumentException("no merge entry '" + entry + "' (have " + entries + ")");
        }
        return i;
    }

    public double get(int entry, int layer, ModuleKind.Group group) {
        return values[(entry * numLayers + layer) * GROUPS + group.ordinal()];
    }

    public double get(String entry, int layer, ModuleKind kind) {
        return get(indexOf(entry), layer, kind.group());
    }

    /** This entry's weights per layer for one group. */
    public double[] layerWeights(int entry, ModuleKind.Group group) {
        double[] out = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            out[l] = get(entry, l, group);
        }
        return out;
    }

    /** Mean over layers and groups of |w - prior| (the L1 distance LoraHub regularizes with). */
    public double meanAbsDistance(MergeWeights prior) {
        if (!prior.entries.equals(entries) || prior.numLayers != numLayers) {
            throw new IllegalArgumentException("prior weights are for other entries or layers");
        }
        double s = 0;
        for (int i = 0; i < values.length; i++) {
            s += Math.abs(values[i] - prior.values[i]);
        }
        return s / values.length;
    }

    /** Largest absolute difference to {@code other} (same entries and layers). */
    public double maxAbsDifference(MergeWeights other) {
        if (!other.entries.equals(entries) || other.numLayers != numLayers) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < values.length; i++) {
            m = Math.max(m, Math.abs(values[i] - other.values[i]));
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MergeWeights w && w.entries.equals(entries) && w.numLayers == numLayers
                && Arrays.equals(w.values, values);
    }

    @Override
    public int hashCode() {
        return entries.hashCode() * 31 + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("MergeWeights{");
        for (int e = 0; e < entries.size(); e++) {
            sb.append(e == 0 ? "" : ", ").append(entries.get(e)).append('=')
                    .append(Arrays.toString(layerWeights(e, ModuleKind.Group.ATTN)));
            double[] mlp = layerWeights(e, ModuleKind.Group.MLP);
            if (!Arrays.equals(mlp, layerWeights(e, ModuleKind.Group.ATTN))) {
                sb.append("/mlp=").append(Arrays.toString(mlp));
            }
        }
        return sb.append('}').toString();
    }
}
