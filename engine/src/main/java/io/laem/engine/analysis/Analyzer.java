package io.laem.engine.analysis;

import io.laem.engine.linalg.LowRank;
import io.laem.engine.linalg.Selection;
import io.laem.engine.linalg.SymmetricEigen;
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
 * Computes an {@link AdapterAnalysis} module by module without forming any out x in delta. Exact, in rank space from
 * the factors' r x r Gram matrices ({@code A A^T}, {@code B^T B}, computed once per module and adapter): norms
 * ({@code |D|^2 = s^2 trace((A A^T)(B^T B))}), singular values for the effective ranks (square roots of the
 * eigenvalues of {@code (A A^T)^(1/2) (B^T B) (A A^T)^(1/2)}, {@link SymmetricEigen}) and cosines
 * ({@code <D_i, D_j> = s_i s_j sum (B_i^T B_j) o (A_i A_j^T)}). Sampled: the entry-level statistics (top-entry
 * energy shares, sign conflicts) over {@link #SAMPLES} entry positions per module, the same positions for every
 * adapter (seeded by the module, so repeatable), each entry a dot product of a row of B and a column of A; modules
 * with at most that many entries use all of them (exact). The sampled shares have a standard error of about
 * {@code sqrt(p (1 - p) / SAMPLES)}, at most 0.004. Cost per module and adapter: O((out + in) r^2 + SAMPLES r).
 * Meant to run in the background: reports progress per module and stops when cancelled.
 */
public final class Analyzer {
    private Analyzer() {}

    /** A module's factors read once: its Gram matrices, delta norm, and A^T [in, r] (entries read row by row). */
    record Prepared(LoraModule m, double[] gramA, double[] gramB, double norm, float[] at) {
        static Prepared of(LoraModule m) {
            int r = m.rank();
            float[] at = new float[m.in() * r];
            for (int q = 0; q < r; q++) {
                for (int j = 0; j < m.in(); j++) {
                    at[j * r + q] = m.a()[q * m.in() + j];
                }
            }
            double[] ga = columnGram(at, at, m.in(), r, r); // A A^T = (A^T)^T A^T
            double[] gb = columnGram(m.b(), m.b(), m.out(), r, r);
            double tr = 0;
            for (int i = 0; i < r * r; i++) {
                tr += ga[i] * gb[i];
            }
            return new Prepared(m, ga, gb, Math.abs(m.scale()) * Math.sqrt(Math.max(tr, 0)), at);
        }
    }

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
            List<Prepared> modules = new ArrayList<>();
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
                Prepared p = Prepared.of(m);
                float[] e = entries(p, positions);
                present.add(a.name());
                modules.add(p);
                sampled.add(e);
                row.put(a.name(), deltaStats(p, e));
            }
            deltas.put(k, row);
            Map<String, AdapterAnalysis.PairStats> prow = new LinkedHashMap<>();
            for (int i = 0; i < present.size(); i++) {
                for (int j = i + 1; j < present.size(); j++) {
                    prow.put(AdapterAnalysis.pairName(present.get(i), present.get(j)),
                            new AdapterAnalysis.PairStats(signConflictRate(sampled.get(i), sampled.get(j)),
                                    cosine(modules.get(i), modules.get(j))));
                }
            }
            pairs.put(k, prow);
        }
        progress.progress(keys.size(), keys.size(), "analyzed");
        return new AdapterAnalysis(names, numLayers, deltas, pairs);
    }

    /** Entry positions sampled per module: all of them for modules of at most this many entries. */
    static final int SAMPLES = 1 << 14;

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

    /** Entries {@code s * (B A)[row, col]} of a module's delta at the positions: a row of B times a row of A^T each. */
    static float[] entries(Prepared p, int[][] positions) {
        LoraModule m = p.m();
        int n = positions[0].length;
        int r = m.rank();
        float[] at = p.at();
        float[] b = m.b();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int b0 = positions[0][i] * r;
            int a0 = positions[1][i] * r;
            double sum = 0;
            for (int q = 0; q < r; q++) {
                sum += (double) b[b0 + q] * at[a0 + q];
            }
            out[i] = (float) (m.scale() * sum);
        }
        return out;
    }

    /** Cosine of two deltas of one module from their factors: {@code <D_i, D_j> / (|D_i| |D_j|)}, exact, no dense delta. */
    static double cosine(Prepared x, Prepared y) {
        LoraModule mx = x.m();
        LoraModule my = y.m();
        double[] bb = columnGram(mx.b(), my.b(), mx.out(), mx.rank(), my.rank());
        double[] aa = columnGram(x.at(), y.at(), mx.in(), mx.rank(), my.rank());
        double dot = 0;
        for (int i = 0; i < bb.length; i++) {
            dot += bb[i] * aa[i];
        }
        double norms = x.norm() * y.norm();
        return norms == 0 ? 0 : mx.scale() * my.scale() * dot / norms;
    }

    /** {@code X^T Y} [rx, ry] of row-major X [n, rx] and Y [n, ry]: a sum of outer products of rows (no reductions to chain). */
    static double[] columnGram(float[] x, float[] y, int n, int rx, int ry) {
        double[] g = new double[rx * ry];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < rx; p++) {
                double v = x[i * rx + p];
                int g0 = p * ry;
                int y0 = i * ry;
                for (int q = 0; q < ry; q++) {
                    g[g0 + q] += v * y[y0 + q];
                }
            }
        }
        return g;
    }

    /** Singular values (descending) of a module's delta {@code s B A}, from its Gram matrices. */
    static double[] singularValues(Prepared p) {
        double[] sv = SymmetricEigen.singularValuesOfProduct(p.gramB(), p.gramA(), p.m().rank());
        for (int i = 0; i < sv.length; i++) {
            sv[i] *= Math.abs(p.m().scale());
        }
        return sv;
    }

    static AdapterAnalysis.DeltaStats deltaStats(Prepared p, float[] sampled) {
        double[] sv = singularValues(p);
        double[] top = topEnergyShares(sampled, new double[] {0.5, 0.2, 0.1});
        return new AdapterAnalysis.DeltaStats(p.norm(), LowRank.directionsFor(sv, 0.90), LowRank.directionsFor(sv, 0.99),
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

    /** Share of the positions where both entries are non-zero on which their signs differ (0 when there are none). */
    static double signConflictRate(float[] a, float[] b) {
        long both = 0;
        long conflict = 0;
        for (int i = 0; i < a.length; i++) {
            float p = a[i] * b[i];
            both += p != 0 ? 1 : 0;
            conflict += p < 0 ? 1 : 0;
        }
        return both == 0 ? 0 : (double) conflict / both;
    }
}
