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
 * Computes an {@link AdapterAnalysis} module by module: norms and effective ranks in rank space
 * (singular values from factorizations of B and A^T and the r x r core), entry statistics and pair agreement on
 * the dense deltas of one module at a time (peak memory: one module's deltas of all adapters).
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
            List<float[]> dense = new ArrayList<>();
            Map<String, AdapterAnalysis.DeltaStats> row = new LinkedHashMap<>();
            for (LoraAdapter a : adapters) {
                LoraModule m = a.modules().get(k);
                if (m == null) {
                    continue;
                }
                float[] d = LowRank.denseDelta(m);
                present.add(a.name());
                dense.add(d);
                row.put(a.name(), deltaStats(m, d));
            }
            deltas.put(k, row);
            Map<String, AdapterAnalysis.PairStats> prow = new LinkedHashMap<>();
            for (int i = 0; i < present.size(); i++) {
                for (int j = i + 1; j < present.size(); j++) {
                    prow.put(AdapterAnalysis.pairName(present.get(i), present.get(j)), pairStats(dense.get(i), dense.get(j)));
                }
            }
            pairs.put(k, prow);
        }
        progress.progress(keys.size(), keys.size(), "analyzed");
        return new AdapterAnalysis(names, numLayers, deltas, pairs);
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
