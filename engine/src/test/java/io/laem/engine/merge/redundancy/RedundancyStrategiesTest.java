package io.laem.engine.merge.redundancy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Redundancy.Sign;
import io.laem.engine.merge.recipe.Recipe.Redundancy.Strategy;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each strategy on small cases worked out by hand from its published definition (TIES: Yadav et al.
 * 2023, section 3 / mergekit get_mask; DARE: Yu et al. 2023 / mergekit sparsify "random" with rescale;
 * magnitude: mergekit sparsify "magnitude").
 */
class RedundancyStrategiesTest {
    static final ModuleKey KEY = new ModuleKey(0, ModuleKind.Q_PROJ);
    // three task deltas of a 2x2 module (row-major), the TIES example below
    static final float[] T1 = {0.5f, -0.1f, 0.3f, -0.8f};
    static final float[] T2 = {-0.6f, 0.2f, 0.4f, 0.1f};
    static final float[] T3 = {0.3f, 0.05f, -0.9f, -0.2f};

    /** A 2x2 module whose delta is {@code d}: B = d, A = I, scale 1 (rank 2). */
    static LoraModule module(float[] d) {
        return new LoraModule(KEY, 2, 2, 2, new float[] {1, 0, 0, 1}, d.clone(), 1.0);
    }

    static float[] sumOfResults(Strategy s, Redundancy p) {
        List<RedundancyStrategy.Result> rs = RedundancyStrategies.of(s).apply(KEY, List.of(module(T1), module(T2), module(T3)), p, 0);
        float[] sum = new float[4];
        for (RedundancyStrategy.Result r : rs) {
            float[] d = r.module().denseDelta();
            for (int i = 0; i < 4; i++) {
                sum[i] += d[i];
            }
            assertEquals(1.0, r.retainedEnergy(), 1e-9, "a 2x2 delta re-factorized at rank 2 is exact");
        }
        return sum;
    }

    static Redundancy params(Strategy s, double density, Sign sign) {
        return new Redundancy(s, density, 1.0, sign, 1);
    }

    @Test
    void magnitudeKeepsTopKByAbsoluteValue() {
        float[] x = {0.5f, -3, 1, 0.2f, -2, 4};
        ElementWise.keepTopK(x, 0.5); // k = 3
        assertArrayEquals(new float[] {0, -3, 0, 0, -2, 4}, x);
        float[] y = {0.5f, -3, 1, 0.2f, -2, 4};
        ElementWise.keepTopK(y, 0.34); // k = floor(2.04) = 2
        assertArrayEquals(new float[] {0, -3, 0, 0, 0, 4}, y);
        float[] ties = {1, -1, 1, 0.5f};
        ElementWise.keepTopK(ties, 0.5); // k = 2 among three equal magnitudes: first two in index order
        assertArrayEquals(new float[] {1, -1, 0, 0}, ties);
        // through the strategy: each task keeps its top 2 of 4; no rescaling
        float[] sum = sumOfResults(Strategy.MAGNITUDE, params(Strategy.MAGNITUDE, 0.5, Sign.TOTAL));
        // T1 -> [0.5, 0, 0, -0.8], T2 -> [-0.6, 0, 0.4, 0], T3 -> [0.3, 0, -0.9, 0]
        assertArrayEquals(new float[] {0.2f, 0, -0.5f, -0.8f}, sum, 1e-6f);
    }

    @Test
    void tiesTrimElectDisjointMeanByTotal() {
        // trimmed (density 0.5): T1 [0.5,0,0,-0.8], T2 [-0.6,0,0.4,0], T3 [0.3,0,-0.9,0]
        // entry 0: sum 0.2 -> +, keep 0.5 and 0.3, mean 0.4; entry 1: all zero -> 0;
        // entry 2: sum -0.5 -> -, keep -0.9; entry 3: -0.8
        float[] sum = sumOfResults(Strategy.TIES, params(Strategy.TIES, 0.5, Sign.TOTAL));
        assertArrayEquals(new float[] {0.4f, 0, -0.9f, -0.8f}, sum, 1e-6f);
    }

    @Test
    void tiesSignByFrequency() {
        // entry 2 now: signs (0, +, -) sum to 0 -> + elected (ties go to +, as mergekit), keeps 0.4
        float[] sum = sumOfResults(Strategy.TIES, params(Strategy.TIES, 0.5, Sign.FREQUENCY));
        assertArrayEquals(new float[] {0.4f, 0, 0.4f, -0.8f}, sum, 1e-6f);
    }

    @Test
    void tiesMatchesMergekitWeightedFormula() {
        // mergekit: sum_t w_t x_t m_t / sum_t w_t m_t with votes on weighted deltas
        float[][] x = {{2, -1}, {-1, 3}};
        ElementWise.electSign(x, new double[] {1, 0.5}, Sign.TOTAL, true);
        // entry 0: votes 2 - 0.5 = 1.5 -> +; only task 1 kept; divisor 1 -> 2
        // entry 1: votes -1 + 1.5 = 0.5 -> +; only task 2 kept; divisor 0.5 -> 3 / 0.5 = 6, weighted back: 0.5 * 6 = 3
        assertArrayEquals(new float[] {2, 0}, x[0]);
        assertArrayEquals(new float[] {0, 6}, x[1]);
    }

    @Test
    void dareKeepsWithProbabilityDensityAndRescales() {
        int n = 20000;
        float[] x = new float[n];
        java.util.Arrays.fill(x, 2f);
        ElementWise.dropAndRescale(x, 0.3, 99);
        SplittableRandom reference = new SplittableRandom(99);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = reference.nextDouble() < 0.3;
            assertEquals(keep ? 2f / 0.3f : 0f, x[i], 1e-6f);
            kept += keep ? 1 : 0;
        }
        // Bernoulli(0.3) over 20000 entries: within 5 standard deviations (~324)
        assertTrue(Math.abs(kept - 0.3 * n) < 5 * Math.sqrt(n * 0.3 * 0.7), "kept " + kept);
        float[] same = new float[n];
        java.util.Arrays.fill(same, 2f);
        ElementWise.dropAndRescale(same, 0.3, 99);
        assertArrayEquals(x, same, "seeded");
        // expectation is preserved: mean of kept/p is x
        double mean = 0;
        for (float v : x) {
            mean += v / n;
        }
        assertEquals(2.0, mean, 0.1);
    }

    @Test
    void dareL1RescaleKeepsEachTensorsL1NormAsMergekit() {
        // mergekit's rescaled_masked_tensor with RescaleNorm.l1, in float64: the same Bernoulli draws,
        // kept entries times sum|x| / sum over kept |x|
        int n = 5000;
        SplittableRandom values = new SplittableRandom(5);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((values.nextDouble() - 0.3) * Math.exp(3 * values.nextDouble()));
        }
        float[] got = x.clone();
        ElementWise.dropAndRescale(got, 0.3, 99, Redundancy.Rescale.L1);
        SplittableRandom draws = new SplittableRandom(99);
        boolean[] keep = new boolean[n];
        double before = 0;
        double after = 0;
        for (int i = 0; i < n; i++) {
            keep[i] = draws.nextDouble() < 0.3;
            before += Math.abs((double) x[i]);
            after += keep[i] ? Math.abs((double) x[i]) : 0;
        }
        double scale = before / after;
        assertTrue(Math.abs(scale - 1 / 0.3) > 1e-3 * scale, "this case tells the L1 ratio from 1/density: " + scale);
        double l1 = 0;
        for (int i = 0; i < n; i++) {
            double expected = keep[i] ? x[i] * scale : 0;
            assertEquals(expected, got[i], 1e-6 * Math.abs(expected), "entry " + i);
            l1 += Math.abs(got[i]);
        }
        assertEquals(before, l1, 1e-5 * before, "the L1 norm is kept");
        float[] inverse = x.clone();
        ElementWise.dropAndRescale(inverse, 0.3, 99);
        for (int i = 0; i < n; i++) {
            if (x[i] != 0) {
                assertEquals(keep[i], inverse[i] != 0, "the same entries are kept: " + i);
            }
        }
    }

    @Test
    void dareL1RescaleThroughTheStrategy() {
        Redundancy p = params(Strategy.DARE, 0.5, Sign.TOTAL).withRescale(Redundancy.Rescale.L1);
        float[] d = RedundancyStrategies.of(Strategy.DARE).apply(KEY, List.of(module(T1)), p, 0).getFirst().module().denseDelta();
        SplittableRandom draws = new SplittableRandom(ElementWise.moduleSeed(1, KEY) + 7919L);
        double before = 0;
        double after = 0;
        boolean[] keep = new boolean[4];
        for (int i = 0; i < 4; i++) {
            keep[i] = draws.nextDouble() < 0.5;
            before += Math.abs(T1[i]);
            after += keep[i] ? Math.abs(T1[i]) : 0;
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(keep[i] && after > 0 ? T1[i] * before / after : keep[i] ? T1[i] : 0, d[i], 1e-6, "entry " + i);
        }
    }

    @Test
    void dareThroughTheStrategyIsSeededAndRescaled() {
        Redundancy p = params(Strategy.DARE, 0.5, Sign.TOTAL);
        List<RedundancyStrategy.Result> a = RedundancyStrategies.of(Strategy.DARE).apply(KEY, List.of(module(T1)), p, 0);
        List<RedundancyStrategy.Result> b = RedundancyStrategies.of(Strategy.DARE).apply(KEY, List.of(module(T1)), p, 0);
        float[] d = a.getFirst().module().denseDelta();
        assertArrayEquals(d, b.getFirst().module().denseDelta(), "same seed, same result");
        for (int i = 0; i < 4; i++) {
            assertTrue(Math.abs(d[i]) < 1e-6 || Math.abs(d[i] - 2 * T1[i]) < 1e-6, "entry " + i + " is 0 or x/p: " + d[i]);
        }
    }

    @Test
    void dareTiesWithoutDropIsSignElectionWithoutMean() {
        // density 1: DARE keeps everything; votes e0 0.2 +, e1 0.15 +, e2 -0.2 -, e3 -0.9 -
        // kept sums: 0.5+0.3, -0.1 dropped: 0.2+0.05, -0.9, -0.8-0.2
        float[] sum = sumOfResults(Strategy.DARE_TIES, params(Strategy.DARE_TIES, 1.0, Sign.TOTAL));
        assertArrayEquals(new float[] {0.8f, 0.25f, -0.9f, -1.0f}, sum, 1e-6f);
    }

    @Test
    void spectralDropsTheSmallestDirectionsBelowTheEnergyThreshold() {
        // delta = diag(3, 2, 1) R with R a rotation: singular values 3, 2, 1, energies 9, 4, 1 of 14
        double c = Math.cos(0.7);
        double s = Math.sin(0.7);
        float[] rot = {(float) c, (float) -s, 0, (float) s, (float) c, 0, 0, 0, 1};
        float[] diag = {3, 0, 0, 0, 2, 0, 0, 0, 1};
        LoraModule m = new LoraModule(KEY, 3, 3, 3, rot, diag, 1.0);
        var p = new Redundancy(Strategy.SPECTRAL, 1.0, 0.9, Sign.TOTAL, 0);
        RedundancyStrategy.Result r = RedundancyStrategies.of(Strategy.SPECTRAL).apply(KEY, List.of(m), p, 0).getFirst();
        // 9/14 = 0.64 < 0.9 <= 13/14: two directions kept
        assertEquals(2, r.module().rank());
        assertEquals(1.0, r.retainedEnergy(), 1e-9, "the directions the threshold keeps are kept exactly");
        float[] expected = {(float) (3 * c), (float) (-3 * s), 0, (float) (2 * s), (float) (2 * c), 0, 0, 0, 0};
        assertArrayEquals(expected, r.module().denseDelta(), 1e-5f);
        var low = new Redundancy(Strategy.SPECTRAL, 1.0, 0.6, Sign.TOTAL, 0);
        assertEquals(1, RedundancyStrategies.of(Strategy.SPECTRAL).apply(KEY, List.of(m), low, 0).getFirst().module().rank());
        assertEquals(3, io.laem.engine.linalg.LowRank.directionsFor(new double[] {3, 2, 1}, 1.0));
        // a rank of 1 cuts the two wanted directions: 9 of 13 kept
        RedundancyStrategy.Result capped = RedundancyStrategies.of(Strategy.SPECTRAL).apply(KEY, List.of(m), p, 1).getFirst();
        assertEquals(1, capped.module().rank());
        assertEquals(9.0 / 13, capped.retainedEnergy(), 1e-6);
    }

    @Test
    void refactorizationToALowerRankReportsRetainedEnergy() {
        // magnitude at density 1 keeps the 2x2 delta T1; re-factorized to rank 1 keeps sigma1^2 / (sigma1^2 + sigma2^2)
        Redundancy p = params(Strategy.MAGNITUDE, 1.0, Sign.TOTAL);
        RedundancyStrategy.Result r = RedundancyStrategies.of(Strategy.MAGNITUDE).apply(KEY, List.of(module(T1)), p, 1).getFirst();
        double a = T1[0], b = T1[1], cc = T1[2], d = T1[3];
        double fro = a * a + b * b + cc * cc + d * d;
        double det = a * d - b * cc;
        double s1sq = (fro + Math.sqrt(fro * fro - 4 * det * det)) / 2; // largest eigenvalue of M^T M
        assertEquals(1, r.module().rank());
        assertEquals(s1sq / fro, r.retainedEnergy(), 1e-6);
    }
}
