package io.laem.engine.infer.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.io.DType;
import io.laem.engine.io.FloatCodec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The decode path's split projection: for any thread count, chunk size and stealing, the same floats as the modules
 * computed one after the other on one thread with the same kernels (product, bias, {@code coef * x A^T}, the update
 * along B^T), to 1e-6 of the terms' magnitudes (not bit for bit: the Vector API's lane sums may be ordered differently
 * once the JIT has compiled a kernel, so one kernel call can differ from another by an ulp whatever the split); and
 * those within float rounding of a float64 reference.
 */
class FewRowProjectionTest {
    /** Weights out x in per module: odd widths, one below a vector of lanes, tails after the tiles. */
    private static final int IN = 70;
    private static final int[] OUTS = {37, 130, 3, 64};
    /** Rank per module, 0 for none: a rank that is not a multiple of a tile (5). */
    private static final int[] RANKS = {5, 0, 16, 8};
    private static final FewRowProjection.Tuning SMALL_CHUNKS = new FewRowProjection.Tuning(1024, 0, 30_000, false);
    /** The caller steals every chunk a worker still holds at once: the steal and drop paths run on every call. */
    private static final FewRowProjection.Tuning STEAL_AT_ONCE = new FewRowProjection.Tuning(1024, 0, 0, false);

    /** The modules' operands; y [rows, sum of outs]. */
    private record Case(ProjectionModule[] modules, float[][] a, float[][] b, int width) {}

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void equalsTheModulesOneAfterTheOtherForAnyThreadsAndChunks(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofShared()) {
            Case c = newCase(arena, dtype, rnd);
            for (int rows : new int[] {1, 3, 7, 8}) {
                float[] x = gaussian(rnd, rows * IN);
                float[] want = sequential(c, x, rows);
                float[] scale = assertNearFloat64(c, x, rows, want, dtype);
                // 8 threads: more than rows, and more than the chunks of the default tuning at these sizes
                for (int threads : new int[] {1, 2, 3, 8}) {
                    for (FewRowProjection.Tuning t : new FewRowProjection.Tuning[] {FewRowProjection.Tuning.DEFAULT, SMALL_CHUNKS, STEAL_AT_ONCE}) {
                        float[] y = new float[rows * c.width()];
                        java.util.Arrays.fill(y, Float.NaN); // every output must be written
                        FewRowProjection.project(c.modules(), x, rows, y, c.width(), false, threads, null, t);
                        assertSame(want, y, scale, dtype + " rows " + rows + " threads " + threads + " " + t);
                    }
                }
            }
        }
    }

    /** Stealing races with the worker's own commit: many calls, every one equal to the sequential result. */
    @Test
    void stealingNeverChangesAResult() {
        SplittableRandom rnd = new SplittableRandom(12);
        try (Arena arena = Arena.ofShared()) {
            Case c = newCase(arena, DType.BF16, rnd);
            float[] x = gaussian(rnd, IN);
            float[] want = sequential(c, x, 1);
            float[] scale = assertNearFloat64(c, x, 1, want, DType.BF16);
            for (int i = 0; i < 2000; i++) {
                float[] y = new float[c.width()];
                java.util.Arrays.fill(y, Float.NaN);
                FewRowProjection.project(c.modules(), x, 1, y, c.width(), false, 2, null, STEAL_AT_ONCE);
                assertSame(want, y, scale, "call " + i);
            }
        }
    }

    /** With add, the projection is added to what y holds (workers write in place then: nothing is stolen). */
    @Test
    void addsToWhatYHolds() {
        SplittableRandom rnd = new SplittableRandom(13);
        try (Arena arena = Arena.ofShared()) {
            Case c = newCase(arena, DType.F32, rnd);
            int rows = 3;
            float[] x = gaussian(rnd, rows * IN);
            float[] before = gaussian(rnd, rows * c.width());
            float[] product = sequential(c, x, rows);
            float[] y = before.clone();
            FewRowProjection.project(c.modules(), x, rows, y, c.width(), true, 2, null, SMALL_CHUNKS);
            for (int i = 0; i < y.length; i++) {
                assertEquals(before[i] + product[i], y[i], 1e-5 * (Math.abs(before[i]) + Math.abs(product[i])) + 1e-6, "y[" + i + "]");
            }
        }
    }

    /**
     * The choice measures a window split, a window on one thread, then runs the cheaper way per byte for a while: long
     * when splitting won clearly, short otherwise. The first window (the JIT compiling) is not counted.
     */
    @Test
    void threadChoiceRunsTheWayThatWasFasterPerByte() {
        FewRowProjection.ThreadChoice choice = new FewRowProjection.ThreadChoice();
        int w = FewRowProjection.ThreadChoice.WINDOW;
        for (int i = 0; i < w; i++) {
            assertTrue(choice.split(), "the first window splits");
            choice.record(1_000_000, 1); // slow as the JIT compiles: not counted
        }
        // split 10 ns per byte, one thread 11: split wins, not clearly
        assertEquals(java.util.List.of(true, false), measure(choice, 10, 11));
        for (int i = 0; i < FewRowProjection.ThreadChoice.SHORT * w; i++) {
            assertTrue(choice.split(), "call " + i + " runs the faster way");
            choice.record(1000, 1);
        }
        // then it measures again: now one thread is faster (a busy machine), for the short stretch only
        assertEquals(java.util.List.of(true, false), measure(choice, 30, 10));
        for (int i = 0; i < FewRowProjection.ThreadChoice.SHORT * w; i++) {
            assertFalse(choice.split(), "call " + i + " runs on one thread");
            choice.record(1, 1000);
        }
        // splitting clearly faster again: the long stretch
        assertEquals(java.util.List.of(true, false), measure(choice, 10, 20));
        for (int i = 0; i < FewRowProjection.ThreadChoice.LONG * w; i++) {
            assertTrue(choice.split(), "call " + i + " splits");
            choice.record(1000, 1);
        }
        assertTrue(choice.split(), "measuring again, split first");
        choice.record(1, 1);
    }

    /** One window split at splitCost ns per byte, one on one thread at serialCost; which way each window ran. */
    private static java.util.List<Boolean> measure(FewRowProjection.ThreadChoice choice, long splitCost, long serialCost) {
        java.util.List<Boolean> ways = new java.util.ArrayList<>();
        for (int window = 0; window < 2; window++) {
            boolean split = choice.split();
            ways.add(split);
            for (int i = 0; i < FewRowProjection.ThreadChoice.WINDOW; i++) {
                assertEquals(split, choice.split());
                choice.record((split ? splitCost : serialCost) * 1000, 1000);
            }
        }
        return ways;
    }

    @Test
    void refusesOperandsThatDoNotFit() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(8L * 8 * Float.BYTES);
            WeightView view = WeightView.f32(w, 8, 8);
            ProjectionModule m = new ProjectionModule(view, null, null, 0);
            // y too short for the module's columns
            assertThrows(IllegalArgumentException.class,
                    () -> FewRowProjection.project(new ProjectionModule[] {m}, new float[8], 1, new float[4], 4, false, 2, null));
            // modules of different widths
            ProjectionModule other = new ProjectionModule(WeightView.f32(w, 4, 16), null, null, 8);
            assertThrows(IllegalArgumentException.class,
                    () -> FewRowProjection.project(new ProjectionModule[] {m, other}, new float[16], 1, new float[12], 12, false, 2, null));
            // LoRA factors smaller than their rank
            ProjectionModule.Lora lora = new ProjectionModule.Lora(arena.allocate(4), arena.allocate(4), new float[4]);
            assertThrows(IllegalArgumentException.class, () -> FewRowProjection.project(
                    new ProjectionModule[] {new ProjectionModule(view, null, lora, 0)}, new float[8], 1, new float[8], 8, false, 2, null));
            // more rows than the in-place kernels take
            assertThrows(IllegalArgumentException.class, () -> FewRowProjection.project(new ProjectionModule[] {m},
                    new float[8 * 9], 9, new float[8 * 9], 8, false, 2, null));
        }
    }

    private static Case newCase(Arena arena, DType dtype, SplittableRandom rnd) {
        ProjectionModule[] modules = new ProjectionModule[OUTS.length];
        float[][] a = new float[OUTS.length][];
        float[][] b = new float[OUTS.length][];
        int offset = 0;
        for (int i = 0; i < OUTS.length; i++) {
            int out = OUTS[i];
            byte[] stored = FloatCodec.encode(dtype, gaussian(rnd, out * IN));
            MemorySegment w = arena.allocate(stored.length);
            MemorySegment.copy(MemorySegment.ofArray(stored), 0, w, 0, stored.length);
            float[] bias = i % 2 == 0 ? gaussian(rnd, out) : null;
            ProjectionModule.Lora lora = null;
            if (RANKS[i] > 0) {
                a[i] = gaussian(rnd, RANKS[i] * IN);
                b[i] = gaussian(rnd, out * RANKS[i]);
                float[] coefs = gaussian(rnd, RANKS[i]);
                lora = new ProjectionModule.Lora(f32(arena, a[i]), blocked(arena, b[i], out, RANKS[i]), coefs);
            }
            modules[i] = new ProjectionModule(new WeightView(w, dtype, out, IN), bias, lora, offset);
            offset += out;
        }
        return new Case(modules, a, b, offset);
    }

    /** What the CPU forward computed per module before the split: the same kernels over whole modules, one thread. */
    private static float[] sequential(Case c, float[] x, int rows) {
        float[] y = new float[rows * c.width()];
        for (ProjectionModule m : c.modules()) {
            WeightView w = m.weights();
            int out = w.rows();
            VectorKernel.Out target = new VectorKernel.Out(y, c.width(), m.offset(), false);
            if (w.dtype() == DType.BF16) {
                VectorKernel.multiplyBf16(w.bytes(), IN, x, rows, target, 0, out);
            } else {
                VectorKernel.multiply(w.bytes(), IN, x, rows, target, 0, out);
            }
            if (m.bias() != null) {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < out; j++) {
                        y[r * c.width() + m.offset() + j] += m.bias()[j];
                    }
                }
            }
            ProjectionModule.Lora l = m.lora();
            if (l != null) {
                int rank = l.rank();
                float[] u = new float[rows * rank];
                VectorKernel.multiply(l.a(), IN, x, rows, new VectorKernel.Out(u, rank, 0, false), 0, rank);
                for (int r = 0; r < rows; r++) {
                    for (int q = 0; q < rank; q++) {
                        u[r * rank + q] *= l.coefs()[q];
                    }
                }
                VectorKernel.addProduct(u, rows, rank, l.b(), new VectorKernel.Out(y, c.width(), m.offset(), true), 0, out);
            }
        }
        return y;
    }

    /** Each output equal to the wanted one to 1e-6 of its terms' magnitudes (NaN, an output not written, fails). */
    private static void assertSame(float[] want, float[] got, float[] scale, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 * scale[i], what + " y[" + i + "]");
        }
    }

    /**
     * The sequential result is the projection: within float rounding of a float64 product over the stored weights.
     * Returns each output's sum of the terms' magnitudes.
     */
    private static float[] assertNearFloat64(Case c, float[] x, int rows, float[] got, DType dtype) {
        float[] scales = new float[got.length];
        for (int i = 0; i < c.modules().length; i++) {
            ProjectionModule m = c.modules()[i];
            WeightView w = m.weights();
            float[] exact = new float[w.rows() * IN];
            FloatCodec.decode(dtype, w.bytes(), exact, exact.length);
            for (int r = 0; r < rows; r++) {
                double[] u = new double[RANKS[i]];
                for (int q = 0; q < RANKS[i]; q++) {
                    for (int k = 0; k < IN; k++) {
                        u[q] += (double) x[r * IN + k] * c.a()[i][q * IN + k];
                    }
                    u[q] *= m.lora().coefs()[q];
                }
                for (int j = 0; j < w.rows(); j++) {
                    double want = m.bias() == null ? 0 : m.bias()[j];
                    double scale = Math.abs(want);
                    for (int k = 0; k < IN; k++) {
                        want += (double) x[r * IN + k] * exact[j * IN + k];
                        scale += Math.abs((double) x[r * IN + k] * exact[j * IN + k]);
                    }
                    for (int q = 0; q < RANKS[i]; q++) {
                        want += u[q] * c.b()[i][j * RANKS[i] + q];
                        scale += Math.abs(u[q] * c.b()[i][j * RANKS[i] + q]);
                    }
                    assertEquals(want, got[r * c.width() + m.offset() + j], 1e-5 * scale + 1e-30, "module " + i + " y[" + r + "," + j + "]");
                    scales[r * c.width() + m.offset() + j] = (float) scale;
                }
            }
        }
        return scales;
    }

    /** B [out, rank] row-major in the kernels' blocked layout. */
    private static MemorySegment blocked(Arena arena, float[] b, int out, int rank) {
        MemorySegment s = arena.allocate(ProjectionModule.Lora.bBytes(out, rank));
        ProjectionModule.Lora.putB(s, rank, 0, b, out, rank);
        return s;
    }

    private static MemorySegment f32(Arena arena, float[] v) {
        MemorySegment s = arena.allocate((long) v.length * Float.BYTES);
        MemorySegment.copy(v, 0, s, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return s;
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian());
        }
        return v;
    }
}
