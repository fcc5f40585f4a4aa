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
}
