package io.laem.engine.session;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.model.ModuleKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Per-layer weight differences between two merges ({@code to - from}): one row per entry and module
 * group ({@code "math attn"}, {@code "math mlp"}), or per entry and module ({@code "math k_proj"}) when either
 * merge has weights per module; one column per layer. An entry one of them does not
 * merge (a disabled adapter, no shared module) counts as weight 0 there.
 */
public record WeightDiff(List<String> rows, double[][] values) {
    public static WeightDiff of(HistoryEntry from, HistoryEntry to, int numLayers) {
        return of(from.weights(numLayers), to.weights(numLayers));
    }

    public static WeightDiff of(MergeWeights from, MergeWeights to) {
        if (from.numLayers() != to.numLayers()) {
            throw new IllegalArgumentException("weights for " + from.numLayers() + " and " + to.numLayers() + " layers");
        }
        Set<String> names = new LinkedHashSet<>(from.entries());
        names.addAll(to.entries());
        List<String> rows = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        MergeWeights.Layout layout = from.layout().finer(to.layout());
        boolean perModule = layout == MergeWeights.Layout.MODULES;
        for (String n : names) {
            for (ModuleKind k : layout.distinctModules()) {
                double[] a = layer(from, n, k);
                double[] b = layer(to, n, k);
                double[] d = new double[a.length];
                for (int l = 0; l < d.length; l++) {
                    d[l] = b[l] - a[l];
                }
                rows.add(n + " " + (perModule ? k.peftName() : k.group().name().toLowerCase(Locale.ROOT)));
                values.add(d);
            }
        }
        return new WeightDiff(List.copyOf(rows), values.toArray(double[][]::new));
    }

    /** The largest absolute difference (0 when the merges have the same weights). */
    public double maxAbs() {
        double m = 0;
        for (double[] r : values) {
            for (double v : r) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    private static double[] layer(MergeWeights w, String entry, ModuleKind k) {
        return w.entries().contains(entry) ? w.layerWeights(w.indexOf(entry), k) : new double[w.numLayers()];
    }
}
