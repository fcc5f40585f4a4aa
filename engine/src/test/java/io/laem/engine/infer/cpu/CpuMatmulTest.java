package io.laem.engine.infer.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.io.DType;
import io.laem.engine.io.FloatCodec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CPU kernels against double-precision references, over shapes that exercise every tile and tail, for each stored dtype. */
class CpuMatmulTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void theBuildRunsTestsWithTheVectorModule() {
        // otherwise every decode test below would silently take PyTorch's path
        assertTrue(CpuMatmul.modulePresent(), "surefire must pass --add-modules jdk.incubator.vector");
        assertTrue(CpuMatmul.available());
    }

    /**
     * x W^T against a float64 product over the same stored weights (each element widened exactly), per dtype: few rows
     * (read in place) and many rows (widened panels), shapes that exercise every tile and tail and the split over threads.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void equalsTheProductForEveryTileAndTail(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(5);
        // out: below one tile, tiles + 1-3 leftover rows, more than one panel, splits over threads; in: below, at and past a vector's lanes
        int[][] shapes = {{1, 1}, {3, 17}, {4, 16}, {7, 31}, {64, 64}, {131, 45}, {260, 33}, {900, 96}, {1300, 70}};
        // rows: read in place (<= 8), 4 x 4 tiles over a native panel (< 32), the broadcast kernel over transposed rows (>= 32:
        // whole blocks and a partial last one)
        int[] rowCounts = {1, 2, 3, 4, 5, 7, 8, 9, 13, 32, 36, 70};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int out = shape[0];
                int in = shape[1];
                float[] wf = gaussian(rnd, out * in);
                if (dtype == DType.F16) {
                    wf[0] = 3e-6f; // a float16 subnormal
                }
                byte[] stored = FloatCodec.encode(dtype, wf);
                MemorySegment w = arena.allocate(stored.length);
                MemorySegment.copy(MemorySegment.ofArray(stored), 0, w, 0, stored.length);
                float[] exact = new float[out * in];
                FloatCodec.decode(dtype, w, exact, exact.length);
                WeightView view = new WeightView(w, dtype, out, in);
                for (int rows : rowCounts) {
                    float[] x = gaussian(rnd, rows * in);
                    for (int threads = 1; threads <= 3; threads += 2) {
                        float[] y = CpuMatmul.multiply(view, x, rows, threads);
                        assertEquals(rows * out, y.length);
                        for (int r = 0; r < rows; r++) {
                            for (int j = 0; j < out; j++) {
                                double want = 0;
                                double scale = 0;
                                for (int k = 0; k < in; k++) {
                                    want += (double) x[r * in + k] * exact[j * in + k];
                                    scale += Math.abs((double) x[r * in + k] * exact[j * in + k]);
                                }
                                String at = dtype + " [" + out + "x" + in + "] rows " + rows + " threads " + threads + " y[" + r + "," + j + "]";
                                assertEquals(want, y[r * out + j], 1e-6 * scale + 1e-30, at);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The widening itself is exact for every finite 16-bit pattern (normals, subnormals, zeros); infinities and NaNs stay non-finite. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = DType.class, names = {"BF16", "F16"})
    void widensEveryHalfPrecisionValueExactly(DType dtype) {
        int n = 1 << 16;
        MemorySegment w = MemorySegment.ofArray(new short[n]);
        for (int i = 0; i < n; i++) {
            w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (short) i);
        }
        float[] exact = new float[n];
        FloatCodec.decode(dtype, w, exact, n);
        // x = unit rows: y[r, j] = w[j, r] picks each element through the kernel's widening
        int in = 16;
        WeightView view = new WeightView(w, dtype, n / in, in);
        for (int rows : new int[] {1, 16, 40}) {
            float[] x = new float[rows * in];
            for (int r = 0; r < rows; r++) {
                x[r * in + r % in] = 1;
            }
            float[] y = CpuMatmul.multiply(view, x, rows, 1);
            for (int j = 0; j < n / in; j++) {
                for (int r = 0; r < rows; r++) {
                    float want = exact[j * in + r % in];
                    float got = y[r * (n / in) + j];
                    // infinities and NaN times the zeros of x give NaN: they must stay non-finite
                    boolean same = Float.isFinite(want) ? want == got : !Float.isFinite(got);
                    if (!same) {
                        throw new AssertionError(dtype + " bits " + Integer.toHexString(j * in + r % in) + ": " + want + " widened to " + got);
                    }
                }
            }
        }
    }

    @Test
    void refusesOperandsSmallerThanTheirShape() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(4L * 8 * Float.BYTES);
            assertThrows(IllegalArgumentException.class, () -> WeightView.f32(w, 8, 8));
            assertThrows(IllegalArgumentException.class, () -> CpuMatmul.multiply(WeightView.f32(w, 4, 8), new float[8], 2, 1));
        }
    }

    /**
     * A LoRA B product from the blocked layout ({@link ProjectionModule.Lora#putB}) added onto any run of columns
     * {@code [j0, j1)}, aligned or not to the vector width and the 16-output blocks, against float64.
     */
    @Test
    void addsARankUpdateFromTheBlockedLayout() {
        SplittableRandom rnd = new SplittableRandom(9);
        int[][] shapes = {{5, 1}, {37, 24}, {600, 24}, {1100, 3}}; // out, rank
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int out = shape[0];
                int rank = shape[1];
                float[] b = gaussian(rnd, out * rank);
                MemorySegment blocked = blocked(arena, b, out, rank);
                int stride = out + 7;
                int offset = 3;
                for (int rows : new int[] {1, 3, 4, 5, 8, 13}) {
                    float[] u = gaussian(rnd, rows * rank);
                    for (int[] range : new int[][] {{0, out}, {out / 3, out}, {1, Math.max(1, out - 2)}, {out / 2, out / 2 + 1}}) {
                        float[] y = new float[rows * stride];
                        java.util.Arrays.fill(y, 2f);
                        VectorKernel.addProduct(u, rows, rank, blocked, new VectorKernel.Out(y, stride, offset, true), range[0], range[1]);
                        for (int r = 0; r < rows; r++) {
                            for (int c = 0; c < stride; c++) {
                                int j = c - offset;
                                double want = 2;
                                double scale = 2;
                                if (j >= range[0] && j < range[1]) {
                                    for (int q = 0; q < rank; q++) {
                                        want += (double) u[r * rank + q] * b[j * rank + q];
                                        scale += Math.abs((double) u[r * rank + q] * b[j * rank + q]);
                                    }
                                }
                                assertEquals(want, y[r * stride + c], 1e-6 * scale,
                                        "[" + out + "x" + rank + "] rows " + rows + " columns " + range[0] + ".." + range[1] + " y[" + r + "," + c + "]");
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
                float[] got = CpuMatmul.siluGate(gateUp, rows);
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < n; i++) {
                        double g = gateUp[r * 2 * n + i];
                        double want = g / (1 + Math.exp(-g)) * gateUp[r * 2 * n + n + i];
                        assertEquals(want, got[r * n + i], 1e-6 * (1 + Math.abs(want)), "n " + n + " row " + r + " i " + i);
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> CpuMatmul.siluGate(new float[6], 2));
    }

    /**
     * Causal grouped-query attention against a float64 reference: new tokens after past ones held in a buffer with
     * spare capacity, with and without padding keys (one sequence left-padded), one thread and three; without and
     * with Gemma 2's soft-cap of the scores ({@code c tanh(s / c)}) and a sliding window (key j seen from query
     * position p when {@code j > p - window}).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"0, 0", "0.7, 0", "0, 3", "0.7, 2"})
    void attendIsCausalGroupedQuerySoftmaxAttention(float softcap, int window) {
        SplittableRandom rnd = new SplittableRandom(11);
        int batch = 2;
        int heads = 4;
        int kvHeads = 2;
        // d: under a vector, whole vectors, vectors and a tail, four vectors of the output at a time and more; keys in
        // blocks of four and a remainder
        for (int d : new int[] {5, 16, 40, 85, 128}) {
            for (int[] pt : new int[][] {{0, 1}, {0, 6}, {2, 1}, {3, 4}, {9, 1}, {7, 6}}) {
                int past = pt[0];
                int tokens = pt[1];
                int seen = past + tokens;
                int capacity = seen + 3;
                float[] q = gaussian(rnd, batch * heads * tokens * d);
                float[] k = gaussian(rnd, batch * kvHeads * capacity * d);
                float[] v = gaussian(rnd, batch * kvHeads * capacity * d);
                float scale = (float) (1 / Math.sqrt(d));
                for (boolean padded : new boolean[] {false, true}) {
                    float[] mask = null;
                    if (padded) {
                        mask = new float[batch * seen];
                        java.util.Arrays.fill(mask, 1);
                        mask[seen] = 0; // sequence 1's first position is padding
                    }
                    for (int threads : new int[] {1, 3}) {
                        float[] got = CpuMatmul.attend(q, k, v, capacity, batch, heads, kvHeads, tokens, past, d, scale, softcap, window,
                                mask, threads);
                        // into a reused buffer: every element written, a fully masked query's too
                        float[] reused = new float[got.length];
                        java.util.Arrays.fill(reused, Float.NaN);
                        CpuMatmul.attendInto(q, k, v, capacity, batch, heads, kvHeads, tokens, past, d, scale, softcap, window, mask,
                                reused, threads);
                        assertArrayEquals(got, reused);
                        for (int b = 0; b < batch; b++) {
                            for (int h = 0; h < heads; h++) {
                                int g = h / (heads / kvHeads);
                                for (int t = 0; t < tokens; t++) {
                                    double[] w = new double[seen];
                                    double sum = 0;
                                    for (int j = 0; j <= past + t; j++) {
                                        if (mask != null && mask[b * seen + j] == 0 || window > 0 && j <= past + t - window) {
                                            continue;
                                        }
                                        double s = 0;
                                        for (int i = 0; i < d; i++) {
                                            s += (double) q[((b * heads + h) * tokens + t) * d + i] * k[((b * kvHeads + g) * capacity + j) * d + i];
                                        }
                                        w[j] = Math.exp(softcap > 0 ? softcap * Math.tanh(s * scale / softcap) : s * scale);
                                        sum += w[j];
                                    }
                                    for (int i = 0; i < d; i++) {
                                        double want = 0;
                                        for (int j = 0; j <= past + t; j++) {
                                            want += sum == 0 ? 0 : w[j] / sum * v[((b * kvHeads + g) * capacity + j) * d + i];
                                        }
                                        assertEquals(want, got[(b * tokens + t) * heads * d + h * d + i], 1e-5,
                                                "d " + d + " past " + past + " tokens " + tokens + " b " + b + " h " + h + " t " + t);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> CpuMatmul.attend(new float[8], new float[8], new float[8], 1, 1, 3, 2, 1, 0, 8, 1, 0, 0, null, 1));
    }

    @Test
    void geluTanhGateIsGeluOfGateTimesUp() {
        float[] gateUp = {-2f, 0.5f, 3f, 1.5f, 2f, -1f};
        float[] got = CpuMatmul.geluTanhGate(gateUp, 1);
        for (int i = 0; i < 3; i++) {
            double x = gateUp[i];
            double gelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            assertEquals(gelu * gateUp[3 + i], got[i], 1e-6);
        }
        assertEquals(-0.0454023, got[0] / gateUp[3], 1e-6); // torch.nn.functional.gelu(tensor(-2.), approximate="tanh")
        assertThrows(IllegalArgumentException.class, () -> CpuMatmul.geluTanhGate(new float[6], 2));
    }

    /**
     * The one-pass target log-probability against a float64 log-softmax of float64 logits over the same stored weights, per
     * dtype, with and without Gemma 2's final soft-cap: rows read in place (few), through native panels (< 32) and through
     * the broadcast kernel (whole and partial blocks, rows that make chunks of one panel), over a vocabulary of several
     * chunks and a partial last one. Tolerance: float32 rounding of the logits ({@code 5e-7} of the largest sum of |x w| of
     * the row) and of the result ({@code 1e-6} relative, 1e-6 absolute); the largest error seen is about a fifth of it.
     * The thread count must not change the arithmetic (the chunks are combined in vocabulary order).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void targetLogProbsEqualAFloat64LogSoftmax(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(9);
        int vocab = 5003;
        int in = 64;
        try (Arena arena = Arena.ofShared()) {
            float[] wf = gaussian(rnd, vocab * in);
            byte[] stored = FloatCodec.encode(dtype, wf);
            MemorySegment w = arena.allocate(stored.length);
            MemorySegment.copy(MemorySegment.ofArray(stored), 0, w, 0, stored.length);
            float[] exact = new float[vocab * in];
            FloatCodec.decode(dtype, w, exact, exact.length);
            WeightView view = new WeightView(w, dtype, vocab, in);
            for (float softcap : new float[] {0f, 30f}) {
                for (int rows : new int[] {1, 5, 13, 32, 45, 300}) {
                    float[] x = gaussian(rnd, rows * in);
                    int[] targets = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        targets[r] = r == 0 ? vocab - 1 : rnd.nextInt(vocab); // the last chunk's last row, then anywhere
                    }
                    float[] one = CpuMatmul.targetLogProbs(view, x, rows, targets, softcap, 1);
                    float[] three = CpuMatmul.targetLogProbs(view, x, rows, targets, softcap, 3);
                    for (int r = 0; r < rows; r++) {
                        double[] z = new double[vocab];
                        double maxScale = 0;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < vocab; j++) {
                            double scale = 0;
                            for (int k = 0; k < in; k++) {
                                z[j] += (double) x[r * in + k] * exact[j * in + k];
                                scale += Math.abs((double) x[r * in + k] * exact[j * in + k]);
                            }
                            if (softcap > 0) {
                                z[j] = softcap * Math.tanh(z[j] / softcap);
                            }
                            maxScale = Math.max(maxScale, scale);
                            max = Math.max(max, z[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < vocab; j++) {
                            sum += Math.exp(z[j] - max);
                        }
                        double want = z[targets[r]] - max - Math.log(sum);
                        String at = dtype + " softcap " + softcap + " rows " + rows + " row " + r;
                        assertEquals(want, one[r], 5e-7 * maxScale + 1e-6 * Math.abs(want) + 1e-6, at);
                        // the same arithmetic but for the JIT: compiled, the vectors' exp is the CPU's intrinsic, interpreted Math.exp
                        assertEquals(one[r], three[r], 4 * Math.ulp(one[r]), at + ": 3 threads");
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> CpuMatmul.targetLogProbs(view, new float[in], 1, new int[] {vocab}, 0f, 1));
        }
    }

    /**
     * A projection's modules over the same x (as q/k/v or gate/up): each module's x W^T, bias and LoRA update (coef * x A^T)
     * B^T into its columns, replacing what y held, against float64 over the same stored weights; at every row count's path
     * (few rows, 4 x 4 tiles, the transposed rows with the LoRA rows folded into the panels: ranks differ per module, one
     * module has none, panels split over threads, a partial last block).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void projectEqualsEachModulesProductBiasAndLoraUpdate(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(13);
        int[][] shapes = {{45, 37, 64, 13}, {300, 260, 7, 130}}; // in, then each module's out
        int[] ranks = {3, 0, 8};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int in = shape[0];
                int modulesCount = shape.length - 1;
                ProjectionModule[] modules = new ProjectionModule[modulesCount];
                float[][] w = new float[modulesCount][];
                float[][] a = new float[modulesCount][];
                float[][] b = new float[modulesCount][];
                int width = 0;
                for (int m = 0; m < modulesCount; m++) {
                    int out = shape[m + 1];
                    byte[] stored = FloatCodec.encode(dtype, gaussian(rnd, out * in));
                    MemorySegment seg = arena.allocate(stored.length);
                    MemorySegment.copy(MemorySegment.ofArray(stored), 0, seg, 0, stored.length);
                    w[m] = new float[out * in];
                    FloatCodec.decode(dtype, seg, w[m], w[m].length);
                    float[] bias = m == 1 ? null : gaussian(rnd, out);
                    ProjectionModule.Lora lora = null;
                    if (ranks[m] > 0) {
                        a[m] = gaussian(rnd, ranks[m] * in);
                        b[m] = gaussian(rnd, out * ranks[m]);
                        float[] coefs = new float[ranks[m]];
                        for (int q = 0; q < coefs.length; q++) {
                            coefs[q] = (float) rnd.nextDouble(-1, 1);
                        }
                        lora = new ProjectionModule.Lora(f32(arena, a[m]), blocked(arena, b[m], out, ranks[m]), coefs);
                    }
                    modules[m] = new ProjectionModule(new WeightView(seg, dtype, out, in), bias, lora, width);
                    width += out;
                }
                for (int rows : new int[] {1, 5, 9, 13, 32, 45, 70}) {
                    float[] x = gaussian(rnd, rows * in);
                    for (int threads = 1; threads <= 3; threads += 2) {
                        float[] y = gaussian(rnd, rows * width); // replaced, not added to
                        CpuMatmul.project(modules, x, rows, y, width, threads, OpTimes.Op.ATTENTION_PROJECTIONS);
                        for (int m = 0; m < modulesCount; m++) {
                            ProjectionModule mod = modules[m];
                            int out = shape[m + 1];
                            for (int r = 0; r < rows; r++) {
                                double[] u = new double[ranks[m]];
                                double[] uScale = new double[ranks[m]];
                                for (int q = 0; q < ranks[m]; q++) {
                                    for (int k = 0; k < in; k++) {
                                        u[q] += (double) x[r * in + k] * a[m][q * in + k];
                                        uScale[q] += Math.abs((double) x[r * in + k] * a[m][q * in + k]);
                                    }
                                    u[q] *= mod.lora().coefs()[q];
                                    uScale[q] *= Math.abs(mod.lora().coefs()[q]);
                                }
                                for (int j = 0; j < out; j++) {
                                    double want = mod.bias() == null ? 0 : mod.bias()[j];
                                    double scale = Math.abs(want);
                                    for (int k = 0; k < in; k++) {
                                        want += (double) x[r * in + k] * w[m][j * in + k];
                                        scale += Math.abs((double) x[r * in + k] * w[m][j * in + k]);
                                    }
                                    for (int q = 0; q < ranks[m]; q++) {
                                        want += u[q] * b[m][j * ranks[m] + q];
                                        scale += uScale[q] * Math.abs(b[m][j * ranks[m] + q]);
                                    }
                                    String at = dtype + " in " + in + " module " + m + " rows " + rows + " threads " + threads + " y[" + r + "," + j + "]";
                                    assertEquals(want, y[r * width + mod.offset() + j], 1e-6 * scale + 1e-30, at);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The forward's row-wise split: every row exactly once, whether the work is split or not (which thread takes a chunk is the scheduler's). */
    @Test
    void forRowsCoversEveryRowOnce() {
        for (int rows : new int[] {0, 1, 7, 300, 1000}) {
            for (long perRow : new long[] {1, 4096}) {
                for (int threads = 1; threads <= 3; threads++) {
                    java.util.concurrent.atomic.AtomicIntegerArray seen = new java.util.concurrent.atomic.AtomicIntegerArray(rows);
                    CpuMatmul.forRows(rows, perRow, threads, (from, to) -> {
                        for (int r = from; r < to; r++) {
                            seen.incrementAndGet(r);
                        }
                    });
                    for (int r = 0; r < rows; r++) {
                        assertEquals(1, seen.get(r), rows + " rows x " + perRow + ", " + threads + " threads: row " + r);
                    }
                }
            }
        }
    }

    /** B [out, rank] row-major in the kernels' blocked layout. */
    private static MemorySegment blocked(Arena arena, float[] b, int out, int rank) {
        MemorySegment s = arena.allocate(ProjectionModule.Lora.bBytes(out, rank));
        ProjectionModule.Lora.putB(s, rank, 0, b, out, rank);
        return s;
    }

    private static MemorySegment f32(Arena arena, float[] values) {
        MemorySegment seg = arena.allocate((long) values.length * Float.BYTES);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(F32_LE, i, values[i]);
        }
        return seg;
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
