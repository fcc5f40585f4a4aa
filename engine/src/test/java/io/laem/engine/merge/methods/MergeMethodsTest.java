package io.laem.engine.merge.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe.Redundancy.Sign;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each baseline method on 2x2 deltas, expected values worked out by hand from mergekit's formulas. */
class MergeMethodsTest {
    static final ModuleKey KEY = new ModuleKey(0, ModuleKind.O_PROJ);
    static final float[] T1 = {0.5f, -0.1f, 0.3f, -0.8f};
    static final float[] T2 = {-0.6f, 0.2f, 0.4f, 0.1f};
    static final float[] T3 = {0.3f, 0.05f, -0.9f, -0.2f};
    static final double[] W = {1, 0.5, 2};

    static LoraModule module(float[] d) {
        return new LoraModule(KEY, 2, 2, 2, new float[] {1, 0, 0, 1}, d.clone(), 1.0);
    }

    static float[] run(String method, double density, Integer rank) {
        MergeMethod.Result r = MergeMethods.of(method).merge(KEY, List.of(module(T1), module(T2), module(T3)), W,
                new MethodOptions(density, Sign.TOTAL, 5, rank));
        return r.module().denseDelta();
    }

    @Test
    void tiesIsMergekitsWeightedDisjointMean() {
        // trimmed to 2 of 4: T1 [0.5,0,0,-0.8], T2 [-0.6,0,0.4,0], T3 [0.3,0,-0.9,0]; weighted votes:
        // e0 0.5-0.3+0.6 > 0: (0.5 + 2*0.3) / (1 + 2); e2 0.2-1.8 < 0: 2*(-0.9)/2; e3: -0.8/1
        assertArrayEquals(new float[] {1.1f / 3, 0, -0.9f, -0.8f}, run("ties", 0.5, null), 1e-6f);
    }

    @Test
    void dareTiesWithoutDropIsTheWeightedSumOfAgreeingEntries() {
        // weighted: T1 [0.5,-0.1,0.3,-0.8], T2 [-0.3,0.1,0.2,0.05], T3 [0.6,0.1,-1.8,-0.4]
        assertArrayEquals(new float[] {1.1f, 0.2f, -1.8f, -1.2f}, run("dare_ties", 1.0, null), 1e-6f);
    }

    @Test
    void dareLinearWithoutDropIsTheWeightedSum() {
        assertArrayEquals(new float[] {0.8f, 0.1f, -1.3f, -1.15f}, run("dare_linear", 1.0, null), 1e-6f);
    }

    /**
     * DARE (Yu et al. 2024) keeps each entry with probability p and rescales it by 1/p: on 4096 entries,
     * the kept count is within 5 standard deviations of the binomial mean n p, every kept entry is
     * exactly x/p, every other is 0, the sum stays unbiased, and the mask is a function of the seed.
     */
    @Test
    void dareKeepsABinomialFractionAndRescalesByOneOverP() {
        int n = 64;
        float[] b = new float[n * n];
        float[] identity = new float[n * n];
        for (int i = 0; i < b.length; i++) {
            b[i] = 0.5f + (i % 17) * 0.01f;
        }
        for (int i = 0; i < n; i++) {
            identity[i * n + i] = 1;
        }
        LoraModule m = new LoraModule(KEY, n, n, n, identity, b, 1.0);
        for (String method : List.of("dare_linear", "dare_ties")) {
            for (double p : new double[] {0.3, 0.7}) {
                float[] out = MergeMethods.of(method).merge(KEY, List.of(m), new double[] {1}, new MethodOptions(p, Sign.TOTAL, 11, null))
                        .module().denseDelta();
                int kept = 0;
                double sumIn = 0;
                double sumOut = 0;
                for (int i = 0; i < b.length; i++) {
                    sumIn += b[i];
                    sumOut += out[i];
                    // the output is re-factorized, so a dropped entry reads as 0 up to float rounding (~1e-8)
                    if (Math.abs(out[i]) > 1e-5) {
                        kept++;
                        assertEquals(b[i] / p, out[i], 1e-4 * b[i] / p, method + " p=" + p + " entry " + i + " is neither 0 nor x/p");
                    }
                }
                double mean = b.length * p;
                double sd = Math.sqrt(b.length * p * (1 - p));
                assertTrue(Math.abs(kept - mean) <= 5 * sd, method + " p=" + p + ": kept " + kept + " of " + b.length);
                assertTrue(kept > 0 && kept < b.length, method + " p=" + p + ": kept " + kept);
                // E[sum] = sum: the relative error of the sum shrinks like sd / mean
                assertEquals(sumIn, sumOut, 5 * sd / mean * sumIn, method + " p=" + p + ": the rescaled sum is biased");
                float[] again = MergeMethods.of(method).merge(KEY, List.of(m), new double[] {1}, new MethodOptions(p, Sign.TOTAL, 11, null))
                        .module().denseDelta();
                assertArrayEquals(out, again, 0f, "same seed, same result");
                float[] other = MergeMethods.of(method).merge(KEY, List.of(m), new double[] {1}, new MethodOptions(p, Sign.TOTAL, 12, null))
                        .module().denseDelta();
                int differ = 0;
                for (int i = 0; i < b.length; i++) {
                    differ += (Math.abs(out[i]) > 1e-5) != (Math.abs(other[i]) > 1e-5) ? 1 : 0;
                }
                assertTrue(differ > b.length / 10, "another seed, another mask: " + differ + " entries differ");
            }
        }
    }

    @Test
    void linearNormalizesTheWeights() {
        float[] expected = new float[4];
        for (int i = 0; i < 4; i++) {
            expected[i] = (float) ((T1[i] + 0.5 * T2[i] + 2 * T3[i]) / 3.5);
        }
        assertArrayEquals(expected, run("linear", 1.0, null), 1e-6f);
    }

    @Test
    void taskArithmeticAndCatAreTheExactWeightedSum() {
        float[] expected = {0.8f, 0.1f, -1.3f, -1.15f};
        assertArrayEquals(expected, run("task_arithmetic", 1.0, null), 1e-6f);
        assertArrayEquals(expected, run("cat", 1.0, 1), 1e-6f); // cat ignores the rank: always exact
        MergeMethod.Result r = MergeMethods.of("cat").merge(KEY, List.of(module(T1), module(T2), module(T3)), W,
                new MethodOptions(1, Sign.TOTAL, 0, null));
        assertEquals(6, r.module().rank());
    }

    @Test
    void svdIsTheBestLowRankApproximationWithTheScaleAppliedOnce() {
        // D1 = 2 * e1 e1^T (scale 2), D2 = I: sum diag(3, 1); rank 1 keeps diag(3, 0), energy 9/10
        LoraModule d1 = new LoraModule(KEY, 1, 2, 2, new float[] {1, 0}, new float[] {1, 0}, 2.0);
        LoraModule d2 = new LoraModule(KEY, 2, 2, 2, new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 1.0);
        MergeMethod.Result r = MergeMethods.of("svd").merge(KEY, List.of(d1, d2), new double[] {1, 1}, new MethodOptions(1, Sign.TOTAL, 0, 1));
        assertArrayEquals(new float[] {3, 0, 0, 0}, r.module().denseDelta(), 1e-6f);
        assertEquals(0.9, r.retainedEnergy(), 1e-9);
        // default rank: the largest input rank (2) -> exact here
        MergeMethod.Result full = MergeMethods.of("svd").merge(KEY, List.of(d1, d2), new double[] {1, 1}, new MethodOptions(1, Sign.TOTAL, 0, null));
        assertArrayEquals(new float[] {3, 0, 0, 1}, full.module().denseDelta(), 1e-6f);
    }

    @Test
    void registryNamesEveryMethodAndRejectsOthers() {
        assertEquals(List.of("linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "cat", "svd"), MergeMethods.names());
        LaemException e = assertThrows(LaemException.class, () -> MergeMethods.of("slerp"));
        assertEquals("unknown merge method 'slerp' (one of linear, task_arithmetic, ties, dare_ties, dare_linear, cat, svd)", e.getMessage());
    }
}
