package io.laem.engine.analysis;

import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.linalg.Selection;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes an {@link AdapterAnalysis} module by module without forming any out x in delta: norms, effective ranks
 * and cosines in rank space (singular values from factorizations of B and A^T and the r x r core; inner products
 * {@code <D_i, D_j> = s_i s_j sum (B_i^T B_j) o (A_i A_j^T)} from the factors' r x r Gram matrices), exact; the
 * entry-level statistics (top-entry energy shares, sign conflicts) over a sample of {@link #SAMPLES} entry positions
 * per module, the same positions for every adapter (seeded by the module, so repeatable), each entry computed from
 * its row of B and column of A; modules with at most that many entries use all of them (exact). The sampled shares
 * have a standard error of about {@code sqrt(p (1 - p) / SAMPLES)}, under 0.002.
 * Meant to run in the background: reports progress per module and stops when cancelled.
 */
public final class Analyzer {
    private Analyzer() {}

    public static AdapterAnalysis analyze(List<LoraAdapter> adapters, int numLayers, ProgressListener progress, CancellationToken cancel) {
        List<String> names = adapters.stream().map(LoraAdapter::name).toList();
        TreeSet<ModuleKey> keys = new TreeSet<>();
        adapters.forEach(a -> keys.addAll(a.modules().keySet()));
        SortedMap<ModuleKey, Map<String, AdapterAnalysis.DeltaStats>> deltas = new TreeMap<>();
        SortedMap<ModuleKey, Map<String, AdapterAnalysis.PairStats>> pairs = new TreeMap<>();
        long done = 0;
        for (ModuleKey k : keys) {
            cancel.check();
            progress.progress(done++, keys.size(), "analyzing " + k);
            List<String> present = new ArrayList<>();
            List<LoraModule> modules = new ArrayList<>();
            List<float[]> sampled = new ArrayList<>();
            Map<String, AdapterAnalysis.DeltaStats> row = new LinkedHashMap<>();
            int[][] positions = null;
            for (LoraAdapter a : adapters) {
                LoraModule m = a.modules().get(k);
                if (m == null) {
                    continue;
                }
                if (positions == null) {
                    positions = samplePositions(m.out(), m.in(), k.hashCode());
                }
                float[] e = entries(m, positions);
                present.add(a.name());
                modules.add(m);
                sampled.add(e);
                row.put(a.name(), deltaStats(m, e));
            }
            deltas.put(k, row);
            Map<String, AdapterAnalysis.PairStats> prow = new LinkedHashMap<>();
            for (int i = 0; i < present.size(); i++) {
                for (int j = i + 1; j < present.size(); j++) {
                    double conflicts = pairStats(sampled.get(i), sampled.get(j)).signConflictRate();
                    prow.put(AdapterAnalysis.pairName(present.get(i), present.get(j)),
                            new AdapterAnalysis.PairStats(conflicts, cosine(modules.get(i), modules.get(j))));
                }
            }
            pairs.put(k, prow);
        }
        progress.progress(keys.size(), keys.size(), "analyzed");
        return new AdapterAnalysis(names, numLayers, deltas, pairs);
    }

    /** Entry positions sampled per module: all of them for modules of at most this many entries. */
    static final int SAMPLES = 1 << 16;

    /** {rows, cols} of the sampled entries: every entry in order when there are at most {@link #SAMPLES}, else a seeded sample. */
    static int[][] samplePositions(int out, int in, long seed) {
        long total = (long) out * in;
        int n = (int) Math.min(total, SAMPLES);
        int[] rows = new int[n];
        int[] cols = new int[n];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            long at = total <= SAMPLES ? i : rnd.nextLong(total);
            rows[i] = (int) (at / in);
            cols[i] = (int) (at % in);
        }
        return new int[][] {rows, cols};
    }

    /** Entries {@code s * (B A)[row, col]} of a module's delta at the positions, each from a row of B and a column of A. */
    static float[] entries(LoraModule m, int[][] positions) {
        int n = positions[0].length;
        int r = m.rank();
        float[] a = m.a();
        float[] b = m.b();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int row = positions[0][i];
            int col = positions[1][i];
            double sum = 0;
            for (int q = 0; q < r; q++) {
                sum += (double) b[row * r + q] * a[q * m.in() + col];
            }
            out[i] = (float) (m.scale() * sum);
        }
        return out;
    }

    /** Cosine of two deltas of one module from their factors: {@code <D_i, D_j> / (|D_i| |D_j|)}, exact, no dense delta. */
    static double cosine(LoraModule x, LoraModule y) {
        int rx = x.rank();
        int ry = y.rank();
        // (B_x^T B_y) [rx, ry] and (A_x A_y^T) [rx, ry], each read row by row
        double[] bb = new double[rx * ry];
        for (int i = 0; i < x.out(); i++) {
            for (int p = 0; p < rx; p++) {
                double v = x.b()[i * rx + p];
                for (int q = 0; q < ry; q++) {
                    bb[p * ry + q] += v * y.b()[i * ry + q];
                }
            }
        }
        double dot = 0;
        for (int p = 0; p < rx; p++) {
            for (int q = 0; q < ry; q++) {
                double aa = 0;
                for (int j = 0; j < x.in(); j++) {
                    aa += (double) x.a()[p * x.in() + j] * y.a()[q * y.in() + j];
                }
                dot += bb[p * ry + q] * aa;
            }
        }
        double norms = x.deltaNorm() * y.deltaNorm();
        return norms == 0 ? 0 : x.scale() * y.scale() * dot / norms;
    }

    static AdapterAnalysis.DeltaStats deltaStats(LoraModule m, float[] dense) {
        Factors f = LowRank.truncate(LowRank.matrix(m.b(), m.out(), m.rank()).muli(m.scale()), LowRank.matrix(m.a(), m.rank(), m.in()),
                m.rank());
        double[] sv = f.singularValues();
        double[] top = topEnergyShares(dense, new double[] {0.5, 0.2, 0.1});
        return new AdapterAnalysis.DeltaStats(m.deltaNorm(), LowRank.directionsFor(sv, 0.90), LowRank.directionsFor(sv, 0.99),
                top[2], top[1], top[0]);
    }

    /**
     * Share of sum(x^2) held by the ceil(p * n) entries of largest magnitude, for each p (given in
     * descending order: each selection works inside the previous one's top part).
     */
    static double[] topEnergyShares(float[] x, double[] fractions) {
        int n = x.length;
        float[] e = new float[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            e[i] = x[i] * x[i];
            total += e[i];
        }
        double[] out = new double[fractions.length];
        int from = 0;
        for (int f = 0; f < fractions.length; f++) {
            int k = (int) Math.min(n, Math.ceil(fractions[f] * n - 1e-9));
            int start = n - k;
            if (start > from && start < n) {
                Selection.select(e, from, n, start);
            }
            from = Math.max(from, start);
            double s = 0;
            for (int i = start; i < n; i++) {
                s += e[i];
            }
            out[f] = total == 0 ? 0 : s / total;
        }
        return out;
    }

    static AdapterAnalysis.PairStats pairStats(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        long both = 0;
        long conflict = 0;
        for (int i = 0; i < a.length; i++) {
            float x = a[i];
            float y = b[i];
            dot += (double) x * y;
            na += (double) x * x;
            nb += (double) y * y;
            if (x != 0 && y != 0) {
                both++;
                if ((x > 0) != (y > 0)) {
                    conflict++;
                }
            }
        }
        double cos = na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
        return new AdapterAnalysis.PairStats(both == 0 ? 0 : (double) conflict / both, cos);
    }
}
