package io.laem.engine.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SelectionTest {
    @Test
    void kthLargestMagnitudeAgreesWithSorting() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(3000);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                // many repeats, zeros, negative zero, tiny and large values
                x[i] = switch (r.nextInt(5)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> (float) r.nextInt(-3, 4);
                    case 3 -> (float) (r.nextGaussian() * 1e-30);
                    default -> (float) (r.nextGaussian() * 1e3);
                };
            }
            float[] mags = new float[n];
            for (int i = 0; i < n; i++) {
                mags[i] = Math.abs(x[i]);
            }
            Arrays.sort(mags);
            for (int k : new int[] {1, n, 1 + r.nextInt(n)}) {
                assertEquals(mags[n - k], Selection.kthLargestMagnitude(x, k), 0f, "n " + n + " k " + k);
                float[] copy = mags.clone();
                assertEquals(mags[n - k], Selection.select(copy, 0, n, n - k), 0f);
            }
        }
    }
}
