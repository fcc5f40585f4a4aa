package io.laem.engine.merge;

import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import java.util.Arrays;
import java.util.List;

/**
 * The merge weights a candidate stands for: one number per (entry, layer, slot), where an entry is a
 * task adapter of the merge plan or its shared module and a slot is a module group (attention, MLP:
 * {@link Layout#GROUPS}) or a module ({@link Layout#MODULES}). This is what a candidate changes in the
 * LoRA bank, and what a recipe's {@code weights:} section describes.
 */
public final class MergeWeights {
    /** Number of module groups (attention, MLP). */
    public static final int GROUPS = ModuleKind.Group.values().length;

    /** What a weight is given for within a layer: a module group, or each module. */
    public enum Layout {
        /** One weight per module group (attention, MLP). */
        GROUPS,
        /** One weight per module ({@link ModuleKind}, fused ones included). */
        MODULES;

        public int slots() {
            return this == GROUPS ? MergeWeights.GROUPS : ModuleKind.values().length;
        }

        /** The slot that holds a module's weight. */
        public int slot(ModuleKind kind) {
            return this == GROUPS ? kind.group().ordinal() : kind.ordinal();
        }

        /** The module a slot stands for (a group: its first module, q_proj or gate_proj). */
        public ModuleKind kind(int slot) {
            return this == GROUPS ? ModuleKind.Group.values()[slot].first() : ModuleKind.values()[slot];
        }

        /**
         * One module per distinct weight a layer has in this layout, in order: each group's first module (q_proj,
         * gate_proj), or the seven unfused modules (a fused module's weight is its leading module's).
         */
        public List<ModuleKind> distinctModules() {
            return this == GROUPS ? List.of(ModuleKind.Group.ATTN.first(), ModuleKind.Group.MLP.first()) : ModuleKind.unfused();
        }

        /** The layout that holds both: per module when either is. */
        public Layout finer(Layout other) {
            return this == MODULES || other == MODULES ? MODULES : GROUPS;
        }

        /** A slot's name: {@code attn}, {@code mlp}, or the module's PEFT name. */
        public String slotName(int slot) {
            return this == GROUPS ? ModuleKind.Group.values()[slot].key() : ModuleKind.values()[slot].peftName();
        }
    }

    private final List<String> entries;
    private final int numLayers;
    private final Layout layout;
    private final double[] values; // [entry][layer][slot]

    private MergeWeights(List<String> entries, int numLayers, Layout layout, double[] values) {
        if (entries.isEmpty() || numLayers < 1) {
            throw new IllegalArgumentException("merge weights need at least one entry and one layer");
        }
        if (entries.stream().distinct().count() != entries.size()) {
            throw new IllegalArgumentException("duplicate entry names: " + entries);
        }
        this.entries = List.copyOf(entries);
        this.numLayers = numLayers;
        this.layout = layout;
        this.values = values;
    }

    /** Every weight equal to {@code value}. */
    public static MergeWeights constant(List<String> entries, int numLayers, double value) {
        double[] v = new double[entries.size() * numLayers * GROUPS];
        Arrays.fill(v, value);
        return new MergeWeights(entries, numLayers, Layout.GROUPS, v);
    }

    /** Weights per group, given by a function of (entry index, layer, group). */
    public static MergeWeights of(List<String> entries, int numLayers, WeightFunction f) {
        return ofSlots(Layout.GROUPS, entries, numLayers, (e, l, s) -> f.weight(e, l, ModuleKind.Group.values()[s]));
    }

    /** Weights per module, given by a function of (entry index, layer, module). */
    public static MergeWeights ofModules(List<String> entries, int numLayers, ModuleWeightFunction f) {
        return ofSlots(Layout.MODULES, entries, numLayers, (e, l, s) -> f.weight(e, l, ModuleKind.values()[s]));
    }

    /** Weights of a layout, given by a function of (entry index, layer, slot). */
    public static MergeWeights ofSlots(Layout layout, List<String> entries, int numLayers, SlotFunction f) {
        int slots = layout.slots();
        double[] v = new double[entries.size() * numLayers * slots];
        for (int e = 0; e < entries.size(); e++) {
            for (int l = 0; l < numLayers; l++) {
                for (int s = 0; s < slots; s++) {
                    v[(e * numLayers + l) * slots + s] = f.weight(e, l, s);
                }
            }
        }
        return new MergeWeights(entries, numLayers, layout, v);
    }

    /**
     * The weights a recipe gives its entries (an entry the recipe does not name gets the recipe's
     * default, 1): per module when a schedule of the recipe is per module, else per group, the
     * attention and MLP weights read from q_proj and gate_proj (a recipe schedule then differs at
     * most per group).
     */
    public static MergeWeights fromRecipe(Recipe recipe, List<String> entries, int numLayers) {
        Layout layout = recipe.weights().values().stream().anyMatch(s -> s instanceof Schedule.PerModule) ? Layout.MODULES : Layout.GROUPS;
        return ofSlots(layout, entries, numLayers, (e, l, s) -> recipe.weight(entries.get(e), l, numLayers, layout.kind(s)));
    }

    /** A weight as a function of (entry index, layer, group). */
    @FunctionalInterface
    public interface WeightFunction {
        double weight(int entry, int layer, ModuleKind.Group group);
    }

    /** A weight as a function of (entry index, layer, module). */
    @FunctionalInterface
    public interface ModuleWeightFunction {
        double weight(int entry, int layer, ModuleKind kind);
    }

    /** A weight as a function of (entry index, layer, slot of a {@link Layout}). */
    @FunctionalInterface
    public interface SlotFunction {
        double weight(int entry, int layer, int slot);
    }

    public List<String> entries() {
        return entries;
    }

    public int numLayers() {
        return numLayers;
    }

    public Layout layout() {
        return layout;
    }

    public int indexOf(String entry) {
        int i = entries.indexOf(entry);
        if (i < 0) {
            throw new IllegalArgumentException("no merge entry '" + entry + "' (have " + entries + ")");
        }
        return i;
    }

    /** The weight in a slot of this layout. */
    public double getSlot(int entry, int layer, int slot) {
        return values[(entry * numLayers + layer) * layout.slots() + slot];
    }

    /** The weight a module gets: what the LoRA bank and {@code laem merge} apply. */
    public double get(int entry, int layer, ModuleKind kind) {
        return getSlot(entry, layer, layout.slot(kind));
    }

    /**
     * A group's weight; per module, the group's first module's (q_proj, gate_proj), as a recipe's
     * attention and MLP weights are read. Where weights are per module, this is a view of one of them.
     */
    public double get(int entry, int layer, ModuleKind.Group group) {
        return get(entry, layer, group.first());
    }

    public double get(String entry, int layer, ModuleKind kind) {
        return get(indexOf(entry), layer, kind);
    }

    /** This entry's weights per layer for one group (per module: the group's first module's). */
    public double[] layerWeights(int entry, ModuleKind.Group group) {
        return layerWeights(entry, group.first());
    }

    /** This entry's weights per layer for one module. */
    public double[] layerWeights(int entry, ModuleKind kind) {
        double[] out = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            out[l] = get(entry, l, kind);
        }
        return out;
    }

    /**
     * This entry's weights per layer for one group as one curve: the group's weight, or per module the
     * mean over the group's unfused modules (how views that show two curves show per-module weights).
     */
    public double[] groupMeans(int entry, ModuleKind.Group group) {
        if (layout == Layout.GROUPS) {
            return layerWeights(entry, group);
        }
        List<ModuleKind> kinds = group.modules();
        double[] out = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            for (ModuleKind k : kinds) {
                out[l] += get(entry, l, k) / kinds.size();
            }
        }
        return out;
    }

    /** This entry's weights per layer in one slot of this layout. */
    public double[] slotWeights(int entry, int slot) {
        double[] out = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            out[l] = getSlot(entry, l, slot);
        }
        return out;
    }

    /** The same weights in another layout (per module to per group keeps each group's first module's). */
    public MergeWeights in(Layout other) {
        return other == layout ? this : ofSlots(other, entries, numLayers, (e, l, s) -> get(e, l, other.kind(s)));
    }

    /** Mean over layers and slots of |w - prior| (the L1 distance LoraHub regularizes with), in this layout. */
    public double meanAbsDistance(MergeWeights prior) {
        if (!prior.entries.equals(entries) || prior.numLayers != numLayers) {
            throw new IllegalArgumentException("prior weights are for other entries or layers");
        }
        double[] p = prior.in(layout).values;
        double s = 0;
        for (int i = 0; i < values.length; i++) {
            s += Math.abs(values[i] - p[i]);
        }
        return s / values.length;
    }

    /** Largest absolute difference to {@code other} (same entries and layers) over every module's weight. */
    public double maxAbsDifference(MergeWeights other) {
        if (!other.entries.equals(entries) || other.numLayers != numLayers) {
            return Double.POSITIVE_INFINITY;
        }
        Layout finer = layout.finer(other.layout);
        double[] a = in(finer).values;
        double[] b = other.in(finer).values;
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MergeWeights w && w.entries.equals(entries) && w.numLayers == numLayers
                && w.layout == layout && Arrays.equals(w.values, values);
    }

    @Override
    public int hashCode() {
        return entries.hashCode() * 31 + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("MergeWeights{");
        for (int e = 0; e < entries.size(); e++) {
            sb.append(e == 0 ? "" : ", ").append(entries.get(e)).append('=');
            double[] first = slotWeights(e, 0);
            sb.append(Arrays.toString(first));
            for (int s = 1; s < layout.slots(); s++) {
                double[] v = slotWeights(e, s);
                if (!Arrays.equals(v, first)) {
                    sb.append('/').append(layout.slotName(s)).append('=').append(Arrays.toString(v));
                }
            }
        }
        return sb.append('}').toString();
    }
}
