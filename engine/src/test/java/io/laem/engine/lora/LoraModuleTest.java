package io.laem.engine.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoraModuleTest {
    private static final ModuleKey KEY = new ModuleKey(0, ModuleKind.Q_PROJ);

    @Test
    void handComputedRankOne() {
        // A = [1 2 2] (1x3), B = [2; 1] (2x1), s = 0.5: delta = [[1 2 2], [0.5 1 1]], ||.||^2 = 11.25
        LoraModule m = new LoraModule(KEY, 1, 3, 2, new float[] {1, 2, 2}, new float[] {2, 1}, 0.5);
        assertArrayEquals(new float[] {1, 2, 2, 0.5f, 1, 1}, m.denseDelta());
        assertEquals(Math.sqrt(11.25), m.deltaNorm(), 1e-12);
    }

    @Test
    void handComputedRankTwo() {
        // A = I (2x2), B = [[1 2] [3 4] [0 -1]] (3x2), s = -2: delta = -2 B, ||.||^2 = 4 * (1+4+9+16+0+1) = 124
        LoraModule m = new LoraModule(KEY, 2, 2, 3, new float[] {1, 0, 0, 1}, new float[] {1, 2, 3, 4, 0, -1}, -2);
        assertArrayEquals(new float[] {-2, -4, -6, -8, -0f, 2}, m.denseDelta()); // -2 * 0 is -0
        assertEquals(Math.sqrt(124), m.deltaNorm(), 1e-12);
    }

    @Test
    void normEqualsFrobeniusOfTheDenseDeltaOnRandomFactors() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int r = rnd.nextInt(1, 9);
            int in = rnd.nextInt(1, 40);
            int out = rnd.nextInt(1, 40);
            float[] a = new float[r * in];
            float[] b = new float[out * r];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            double s = rnd.nextDouble() * 4;
            LoraModule m = new LoraModule(KEY, r, in, out, a, b, s);
            // reference: the dense product in double, straight from the definition
            double sum = 0;
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double d = 0;
                    for (int k = 0; k < r; k++) {
                        d += (double) b[o * r + k] * a[k * in + i];
                    }
                    sum += (s * d) * (s * d);
                }
            }
            assertEquals(Math.sqrt(sum), m.deltaNorm(), 1e-9 * Math.sqrt(sum));
            double dense = 0;
            for (float v : m.denseDelta()) {
                dense += (double) v * v;
            }
            assertEquals(Math.sqrt(sum), Math.sqrt(dense), 1e-6 * Math.sqrt(sum));
        }
    }
}
