package io.laem.engine.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AnalyzerTest {
    @Test
    void energyShareOfTheLargestEntries() {
        float[] x = {3, -1, 10, 4, -7, 2, 9, 5, -6, 8}; // squares 1..100 in some order, total 385
        double[] s = Analyzer.topEnergyShares(x, new double[] {0.5, 0.2, 0.1});
        assertEquals(330.0 / 385, s[0], 1e-7); // 10, 9, 8, 7, 6
        assertEquals(181.0 / 385, s[1], 1e-7); // 10, 9
        assertEquals(100.0 / 385, s[2], 1e-7); // 10
        // ceil: 10% of 4 entries is one entry
        assertEquals(16.0 / 30, Analyzer.topEnergyShares(new float[] {1, 2, 3, 4}, new double[] {0.1})[0], 1e-7);
    }

    @Test
    void signConflictsAmongNonZeroEntries() {
        // entries 0, 1, 3 are non-zero in both; 1 and 3 disagree
        assertEquals(2.0 / 3, Analyzer.signConflictRate(new float[] {1, -2, 0, 3}, new float[] {2, 1, 5, -1}), 1e-12);
        assertEquals(0, Analyzer.signConflictRate(new float[] {0, 1}, new float[] {3, 0}));
    }

    /**
     * Rank-space figures of random modules against the dense delta (float64): norm, every singular value (against
     * ND4J's factorization), the cosine of two deltas, and the sampled entries equal to the dense ones at their positions.
     */
    @Test
    void rankSpaceFiguresEqualTheDenseDeltas() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        ModuleKey k = new ModuleKey(0, ModuleKind.O_PROJ);
        int out = 40;
        int in = 30;
        LoraModule x = random(rnd, k, 6, in, out, 0.7);
        LoraModule y = random(rnd, k, 4, in, out, -1.3);
        Analyzer.Prepared px = Analyzer.Prepared.of(x);
        Analyzer.Prepared py = Analyzer.Prepared.of(y);
        float[] dx = io.laem.engine.linalg.LowRank.denseDelta(x);
        float[] dy = io.laem.engine.linalg.LowRank.denseDelta(y);
        double nx = 0;
        double ny = 0;
        double dot = 0;
        for (int i = 0; i < dx.length; i++) {
            nx += (double) dx[i] * dx[i];
            ny += (double) dy[i] * dy[i];
            dot += (double) dx[i] * dy[i];
        }
        assertEquals(Math.sqrt(nx), px.norm(), 1e-5 * Math.sqrt(nx));
        assertEquals(dot / Math.sqrt(nx * ny), Analyzer.cosine(px, py), 1e-5);
        // ND4J's QR + SVD path over the factors (what the analysis used before)
        double[] dense = io.laem.engine.linalg.LowRank.truncate(io.laem.engine.linalg.LowRank.matrix(x.b(), out, 6).muli(x.scale()),
                io.laem.engine.linalg.LowRank.matrix(x.a(), 6, in), 6).singularValues();
        double[] sv = Analyzer.singularValues(px);
        assertEquals(6, sv.length);
        for (int i = 0; i < sv.length; i++) {
            assertEquals(dense[i], sv[i], 1e-4 * dense[0], "singular value " + i);
        }
        int[][] pos = Analyzer.samplePositions(out, in, 1);
        float[] e = Analyzer.entries(px, pos);
        for (int i = 0; i < e.length; i++) {
            assertEquals(dx[pos[0][i] * in + pos[1][i]], e[i], 1e-5);
        }
    }

    private static LoraModule random(java.util.SplittableRandom rnd, ModuleKey k, int r, int in, int out, double scale) {
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (rnd.nextGaussian() * (1 + i % r)); // distinct singular values
        }
        return new LoraModule(k, r, in, out, a, b, scale);
    }

    @Test
    void normsAndEffectiveRanksByHand() {
        // delta = diag(3, 2, 1) R, R a rotation: norm sqrt(14); 90% of 14 needs 2 directions, 99% all 3
        double c = Math.cos(0.3);
        double s = Math.sin(0.3);
        float[] rot = {(float) c, (float) -s, 0, (float) s, (float) c, 0, 0, 0, 1};
        ModuleKey q0 = new ModuleKey(0, ModuleKind.Q_PROJ);
        ModuleKey v0 = new ModuleKey(0, ModuleKind.V_PROJ);
        LoraModule a = new LoraModule(q0, 3, 3, 3, rot, new float[] {1.5f, 0, 0, 0, 1, 0, 0, 0, 0.5f}, 2.0);
        LoraModule b = new LoraModule(v0, 1, 3, 3, new float[] {0, 4, 0}, new float[] {1, 0, 0}, 1.0);
        LoraModule other = new LoraModule(q0, 1, 3, 3, new float[] {1, 0, 0}, new float[] {-1, 0, 0}, 1.0);
        LoraAdapter x = adapter("x", a, b);
        LoraAdapter y = adapter("y", other);
        AdapterAnalysis r = Analyzer.analyze(List.of(x, y), 2, ProgressListener.NONE, CancellationToken.NONE);
        AdapterAnalysis.DeltaStats st = r.deltas().get(q0).get("x");
        assertEquals(Math.sqrt(14), st.deltaNorm(), 1e-6);
        assertEquals(2, st.effectiveRank90());
        assertEquals(3, st.effectiveRank99());
        // layers x adapters: layer 0 norm of x combines q (sqrt 14) and v (4): sqrt(14 + 16); y only q; layer 1 absent
        double[][] norms = r.matrix(AdapterAnalysis.Metric.DELTA_NORM, null);
        assertEquals(Math.sqrt(30), norms[0][0], 1e-6);
        assertEquals(1.0, norms[0][1], 1e-6);
        assertTrue(Double.isNaN(norms[1][0]));
        assertEquals(4.0, r.matrix(AdapterAnalysis.Metric.DELTA_NORM, ModuleKind.V_PROJ)[0][0], 1e-6);
        assertEquals(1.0, r.matrix(AdapterAnalysis.Metric.EFFECTIVE_RANK_90, ModuleKind.V_PROJ)[0][0]);
        // pair on q0: x's delta has entry (0,0) = 3c > 0, y's (0,0) = -1; cosine = -3c / sqrt(14)
        assertEquals(List.of("x~y"), r.pairNames());
        double[][] cos = r.pairMatrix(AdapterAnalysis.PairMetric.COSINE, null);
        assertEquals(-3 * c / Math.sqrt(14), cos[0][0], 1e-6);
        assertEquals(1.0, r.pairMatrix(AdapterAnalysis.PairMetric.SIGN_CONFLICT, null)[0][0], 1e-12);
        assertArrayEquals(new double[] {Double.NaN}, r.pairMatrix(AdapterAnalysis.PairMetric.COSINE, null)[1]);
    }

    @Test
    void cancellationStops() {
        ModuleKey q0 = new ModuleKey(0, ModuleKind.Q_PROJ);
        LoraAdapter x = adapter("x", new LoraModule(q0, 1, 3, 3, new float[] {1, 0, 0}, new float[] {-1, 0, 0}, 1.0));
        CancellationToken t = new CancellationToken();
        t.cancel();
        assertThrows(CancelledException.class, () -> Analyzer.analyze(List.of(x), 1, ProgressListener.NONE, t));
    }

    static LoraAdapter adapter(String name, LoraModule... mods) {
        TreeMap<ModuleKey, LoraModule> m = new TreeMap<>();
        for (LoraModule x : mods) {
            m.put(x.key(), x);
        }
        return new LoraAdapter(name, java.nio.file.Path.of(name), null, m);
    }
}
