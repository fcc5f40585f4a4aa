package io.laem.engine.analysis;

import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The analysis of a set of adapters on one base: per layer x module x adapter statistics of each
 * delta, and per layer x module x adapter pair how two deltas agree. {@link #matrix} and
 * {@link #pairMatrix} give the layers x adapters (or layers x pairs) grids the GUI heatmaps draw,
 * over all module kinds or one.
 */
public final class AdapterAnalysis {
    /** Statistics of one adapter's delta on one module. */
    public record DeltaStats(double deltaNorm, int effectiveRank90, int effectiveRank99, double top10Energy, double top20Energy,
                             double top50Energy) {
        double get(Metric m) {
            return switch (m) {
                case DELTA_NORM -> deltaNorm;
                case EFFECTIVE_RANK_90 -> effectiveRank90;
                case EFFECTIVE_RANK_99 -> effectiveRank99;
                case TOP10_ENERGY -> top10Energy;
                case TOP20_ENERGY -> top20Energy;
                case TOP50_ENERGY -> top50Energy;
            };
        }
    }

    /** How two adapters' deltas on one module agree. */
    public record PairStats(double signConflictRate, double cosine) {
        double get(PairMetric m) {
            return m == PairMetric.SIGN_CONFLICT ? signConflictRate : cosine;
        }
    }

    /** Per-delta metrics. */
    public enum Metric {
        /** Frobenius norm of s B A. */
        DELTA_NORM,
        /** Fewest singular directions holding 90% of the energy. */
        EFFECTIVE_RANK_90,
        /** Same at 99%. */
        EFFECTIVE_RANK_99,
        /** Share of the energy in the 10% of entries of largest magnitude. */
        TOP10_ENERGY,
        TOP20_ENERGY,
        TOP50_ENERGY
    }

    /** Per-pair metrics. */
    public enum PairMetric {
        /** Among entries where both deltas are non-zero, the share with opposite signs. */
        SIGN_CONFLICT,
        /** Cosine similarity of the flattened deltas. */
        COSINE
    }

    private final List<String> adapters;
    private final int numLayers;
    private final SortedMap<ModuleKey, Map<String, DeltaStats>> deltas;
    private final SortedMap<ModuleKey, Map<String, PairStats>> pairs;

    public AdapterAnalysis(List<String> adapters, int numLayers, SortedMap<ModuleKey, Map<String, DeltaStats>> deltas,
                           SortedMap<ModuleKey, Map<String, PairStats>> pairs) {
        this.adapters = List.copyOf(adapters);
        this.numLayers = numLayers;
        this.deltas = Collections.unmodifiableSortedMap(new TreeMap<>(deltas));
        this.pairs = Collections.unmodifiableSortedMap(new TreeMap<>(pairs));
    }

    public List<String> adapters() {
        return adapters;
    }

    public int numLayers() {
        return numLayers;
    }

    /** Per module, per adapter name (adapters that do not target the module are absent). */
    public SortedMap<ModuleKey, Map<String, DeltaStats>> deltas() {
        return deltas;
    }

    /** Per module, per pair name ({@link #pairName}); only pairs that both target the module. */
    public SortedMap<ModuleKey, Map<String, PairStats>> pairs() {
        return pairs;
    }

    public static String pairName(String a, String b) {
        return a + "~" + b;
    }

    /** All pair names in order (i < j over the adapter list). */
    public List<String> pairNames() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            for (int j = i + 1; j < adapters.size(); j++) {
                out.add(pairName(adapters.get(i), adapters.get(j)));
            }
        }
        return out;
    }

    /**
     * [layer][adapter] grid of a metric: for one module kind, or (kind null) the mean over the kinds
     * the adapter targets in that layer (the delta norm combines as the root of the sum of squares, the
     * layer's whole delta norm). NaN where the adapter has no module.
     */
    public double[][] matrix(Metric metric, ModuleKind kind) {
        double[][] m = new double[numLayers][adapters.size()];
        for (int l = 0; l < numLayers; l++) {
            for (int a = 0; a < adapters.size(); a++) {
                m[l][a] = aggregate(l, kind, metric == Metric.DELTA_NORM, deltas, adapters.get(a), s -> s.get(metric));
            }
        }
        return m;
    }

    /** [layer][pair] grid of a pair metric, like {@link #matrix} (mean over kinds when kind is null). */
    public double[][] pairMatrix(PairMetric metric, ModuleKind kind) {
        List<String> names = pairNames();
        double[][] m = new double[numLayers][names.size()];
        for (int l = 0; l < numLayers; l++) {
            for (int p = 0; p < names.size(); p++) {
                m[l][p] = aggregate(l, kind, false, pairs, names.get(p), s -> s.get(metric));
            }
        }
        return m;
    }

    private static <T> double aggregate(int layer, ModuleKind kind, boolean rootSumSquares,
                                        SortedMap<ModuleKey, Map<String, T>> data, String name,
                                        java.util.function.ToDoubleFunction<T> value) {
        double acc = 0;
        int n = 0;
        for (ModuleKind k : kind == null ? ModuleKind.values() : new ModuleKind[] {kind}) {
            Map<String, T> row = data.get(new ModuleKey(layer, k));
            T s = row == null ? null : row.get(name);
            if (s != null) {
                double v = value.applyAsDouble(s);
                acc += rootSumSquares ? v * v : v;
                n++;
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        return rootSumSquares ? Math.sqrt(acc) : acc / n;
    }
}
