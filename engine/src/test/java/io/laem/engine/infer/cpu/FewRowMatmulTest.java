package io.laem.engine.infer.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The decode kernel against a double-precision x W^T, over shapes that exercise every tile and tail. */
class FewRowMatmulTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void theBuildRunsTestsWithTheVectorModule() {
        // otherwise every decode test below would silently take PyTorch's path
        assertTrue(FewRowMatmul.modulePresent(), "surefire must pass --add-modules jdk.incubator.vector");
        assertTrue(FewRowMatmul.available());
    }

    @Test
    void equalsTheProductForEveryTileAndTail() {
        SplittableRandom rnd = new SplittableRandom(5);
        // out: below one tile, tiles + 1-3 leftover rows, splits over threads; in: below, at and past a vector's lanes
        int[][] shapes = {{1, 1}, {3, 17}, {4, 16}, {7, 31}, {64, 64}, {131, 45}, {260, 33}, {900, 96}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int out = shape[0];
                int in = shape[1];
                MemorySegment w = arena.allocate((long) out * in * Float.BYTES);
                float[] wf = new float[out * in];
                for (int i = 0; i < wf.length; i++) {
                    wf[i] = (float) rnd.nextGaussian();
                    w.setAtIndex(F32_LE, i, wf[i]);
                }
                for (int rows = 1; rows <= FewRowMatmul.MAX_ROWS; rows++) {
                    float[] x = new float[rows * in];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    for (int threads = 1; threads <= 3; threads++) {
                        float[] y = FewRowMatmul.multiply(w, out, in, x, rows, threads);
                        assertEquals(rows * out, y.length);
                        for (int r = 0; r < rows; r++) {
                            for (int j = 0; j < out; j++) {
                                double want = 0;
                                double scale = 0;
                                for (int k = 0; k < in; k++) {
                                    want += (double) x[r * in + k] * wf[j * in + k];
                                    scale += Math.abs((double) x[r * in + k] * wf[j * in + k]);
                                }
                                String at = "[" + out + "x" + in + "] rows " + rows + " threads " + threads + " y[" + r + "," + j + "]";
                                assertEquals(want, y[r * out + j], 1e-6 * scale + 1e-30, at);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void refusesOperandsSmallerThanTheirShape() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(4L * 8 * Float.BYTES);
            assertThrows(IllegalArgumentException.class, () -> FewRowMatmul.multiply(w, 8, 8, new float[8], 1, 1));
            assertThrows(IllegalArgumentException.class, () -> FewRowMatmul.multiply(w, 4, 8, new float[8], 2, 1));
        }
    }

    @Test
    void addsARankUpdateOntoItsColumns() {
        SplittableRandom rnd = new SplittableRandom(9);
        // out: below one vector, a vector + tail, split over threads (>= 256 columns per share); rank 1 and 24
        int[][] shapes = {{5, 1}, {37, 24}, {600, 24}, {1100, 3}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int out = shape[0];
                int rank = shape[1];
                MemorySegment bt = arena.allocate((long) rank * out * Float.BYTES);
                float[] btf = new float[rank * out];
                for (int i = 0; i < btf.length; i++) {
                    btf[i] = (float) rnd.nextGaussian();
                    bt.setAtIndex(F32_LE, i, btf[i]);
                }
                int stride = out + 7;
                int offset = 3;
                for (int rows = 1; rows <= FewRowMatmul.MAX_ROWS; rows++) {
                    float[] u = new float[rows * rank];
                    for (int i = 0; i < u.length; i++) {
                        u[i] = (float) rnd.nextGaussian();
                    }
                    for (int threads = 1; threads <= 3; threads++) {
                        float[] y = new float[rows * stride];
                        java.util.Arrays.fill(y, 2f);
                        FewRowMatmul.addProductInto(u, rows, rank, bt, out, y, stride, offset, threads);
                        for (int r = 0; r < rows; r++) {
                            for (int c = 0; c < stride; c++) {
                                int j = c - offset;
                                double want = 2;
                                double scale = 2;
                                if (j >= 0 && j < out) {
                                    for (int q = 0; q < rank; q++) {
                                        want += (double) u[r * rank + q] * btf[q * out + j];
                                        scale += Math.abs((double) u[r * rank + q] * btf[q * out + j]);
                                    }
                                }
                                assertEquals(want, y[r * stride + c], 1e-6 * scale,
                                        "[" + rank + "x" + out + "] rows " + rows + " threads " + threads + " y[" + r + "," + c + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void siluGateIsSwiGlu() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 15, 16, 37, 100}) {
            for (int rows = 1; rows <= 3; rows++) {
                float[] gateUp = new float[rows * 2 * n];
                for (int i = 0; i < gateUp.length; i++) {
                    gateUp[i] = (float) (rnd.nextGaussian() * 6);
                }
                float[] got = FewRowMatmul.siluGate(gateUp, rows);
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < n; i++) {
                        double g = gateUp[r * 2 * n + i];
                        double want = g / (1 + Math.exp(-g)) * gateUp[r * 2 * n + n + i];
                        assertEquals(want, got[r * n + i], 1e-6 * (1 + Math.abs(want)), "n " + n + " row " + r + " i " + i);
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> FewRowMatmul.siluGate(new float[6], 2));
    }

    @Test
    void geluTanhGateIsGeluOfGateTimesUp() {
        float[] gateUp = {-2f, 0.5f, 3f, 1.5f, 2f, -1f};
        float[] got = FewRowMatmul.geluTanhGate(gateUp, 1);
        for (int i = 0; i < 3; i++) {
            double x = gateUp[i];
            double gelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            assertEquals(gelu * gateUp[3 + i], got[i], 1e-6);
        }
        assertEquals(-0.0454023, got[0] / gateUp[3], 1e-6); // torch.nn.functional.gelu(tensor(-2.), approximate="tanh")
        assertThrows(IllegalArgumentException.class, () -> FewRowMatmul.geluTanhGate(new float[6], 2));
    }

    /** Without and with Gemma 2's soft-cap of the scores ({@code c tanh(s / c)}). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(floats = {0f, 0.7f})
    void attendOneIsGroupedQuerySoftmaxAttention(float softcap) {
        SplittableRandom rnd = new SplittableRandom(11);
        int batch = 2;
        int heads = 4;
        int kvHeads = 2;
        for (int d : new int[] {5, 16, 40}) {
            for (int total : new int[] {1, 3, 9}) {
                float[] q = gaussian(rnd, batch * heads * d);
                float[] k = gaussian(rnd, batch * kvHeads * total * d);
                float[] v = gaussian(rnd, batch * kvHeads * total * d);
                float scale = (float) (1 / Math.sqrt(d));
                float[] got = FewRowMatmul.attendOne(q, k, v, batch, heads, kvHeads, total, d, scale, softcap);
                for (int b = 0; b < batch; b++) {
                    for (int h = 0; h < heads; h++) {
                        int g = h / (heads / kvHeads);
                        double[] w = new double[total];
                        double sum = 0;
                        for (int j = 0; j < total; j++) {
                            double s = 0;
                            for (int i = 0; i < d; i++) {
                                s += (double) q[(b * heads + h) * d + i] * k[((b * kvHeads + g) * total + j) * d + i];
                            }
                            w[j] = Math.exp(softcap > 0 ? softcap * Math.tanh(s * scale / softcap) : s * scale);
                            sum += w[j];
                        }
                        for (int i = 0; i < d; i++) {
                            double want = 0;
                            for (int j = 0; j < total; j++) {
                                want += w[j] / sum * v[((b * kvHeads + g) * total + j) * d + i];
                            }
                            assertEquals(want, got[b * heads * d + h * d + i], 1e-5, "d " + d + " total " + total + " b " + b + " h " + h);
                        }
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> FewRowMatmul.attendOne(new float[8], new float[8], new float[8], 1, 3, 2, 1, 8, 1, 0));
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
