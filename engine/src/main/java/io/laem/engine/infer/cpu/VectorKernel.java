package io.laem.engine.infer.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU kernels' inner loops, with the JDK's Vector API: {@code y = x W^T} with W [out, in] row-major,
 * little-endian, in its stored dtype (float32, bfloat16 or float16, widened in registers), read in place
 * from native memory; x [rows, in] and y [rows, out] are heap arrays. Also the LoRA rank update, SwiGLU
 * and attention.
 *
 * <p>Tiles of 4 weight rows by 4 x rows keep 16 accumulators in registers, so each weight vector
 * loaded feeds 4 FMAs and a tile's weight rows stay in L1 while the x rows pass over them. Few rows
 * (decode) read the weights straight from memory; many rows (prefill, scoring) widen a panel of weight
 * rows once into an L2-sized float buffer and run every x row over it. Only this class names
 * {@code jdk.incubator.vector}; {@link CpuMatmul} loads it when the module is present.
 */
final class VectorKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final java.lang.foreign.ValueLayout.OfFloat F32_LE = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final java.lang.foreign.ValueLayout.OfShort I16_LE = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** 16-bit lanes as many as S has: half its width. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    private VectorKernel() {}

    static int lanes() {
        return S.length();
    }

    /** Element kinds of a weight segment (resolved once per call, so the loops branch on a constant). */
    static final int F32 = 0;
    static final int BF16 = 1;
    static final int F16 = 2;

    /**
     * Float32 weight rows {@code [j0, j1)} read in place: {@code y[r * stride + offset + j] (+)= sum_k x[r, k] w[j, k]}
     * for every row r of x. Each tile's 4 weight rows stay in L1 while every x row passes over them, so the weights stream
     * from memory once per call: what a few rows (decode) need.
     */
    static void multiply(MemorySegment w, int in, float[] x, int rows, Out y, int j0, int j1) {
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                tile4x4(w, (long) j * in, in, x, r, y, j);
            }
            for (; r < rows; r++) {
                tile4x1(w, (long) j * in, in, x, r, y, j);
            }
        }
        for (; j < j1; j++) {
            for (int r = 0; r < rows; r++) {
                y.put(r, j, dot(w, (long) j * in, x, r * in, in));
            }
        }
    }

    /**
     * BF16 weight rows {@code [j0, j1)} read in place and widened in registers: the few-row (decode) path for BF16
     * weights, as {@link #multiply} is for float32 (no panel written and read back). A method per dtype, so no load
     * branches on the dtype: that keeps the tiles small enough for the JIT to keep every vector in registers.
     */
    static void multiplyBf16(MemorySegment w, int in, float[] x, int rows, Out y, int j0, int j1) {
        multiplyBf16(w, in, x, pairsFor(x, rows, in), rows, y, j0, j1);
    }

    /**
     * x in {@link #pairOrder} where {@link #multiplyBf16(MemorySegment, int, float[], float[], int, Out, int, int)}
     * reads it that way (one row, and 4-8 rows), else null: made once per projection and shared by its chunks.
     */
    static float[] pairsFor(float[] x, int rows, int in) {
        if (rows != 1 && rows < 4) {
            return null;
        }
        float[] xp = new float[rows * in];
        pairOrder(x, rows, in, xp);
        return xp;
    }

    /** Values per pair block: one int vector of BF16 pairs. */
    static int pairBlock() {
        return 2 * I.length();
    }

    /**
     * x's rows in the order {@link #multiplyBf16(MemorySegment, int, float[], float[], int, Out, int, int)} reads them:
     * within each block of {@link #pairBlock} values the even-indexed ones, then the odd-indexed ones; the last
     * {@code in % pairBlock()} values of a row as they are.
     */
    static void pairOrder(float[] x, int rows, int in, float[] xp) {
        int block = pairBlock();
        int half = block / 2;
        int bound = in - in % block;
        for (int r = 0; r < rows; r++) {
            int x0 = r * in;
            for (int b = x0; b < x0 + bound; b += block) {
                for (int m = 0; m < half; m++) {
                    xp[b + m] = x[b + 2 * m];
                    xp[b + half + m] = x[b + 2 * m + 1];
                }
            }
            System.arraycopy(x, x0 + bound, xp, x0 + bound, in - bound);
        }
    }

    /**
     * {@link #multiplyBf16(MemorySegment, int, float[], int, Out, int, int)} with x also given in {@link #pairOrder}
     * ({@code xp}, made once per projection at one row and at 4-8 rows; null: the short-vector tiles). At one row each
     * weight row is read on its own, front to back ({@link #rowPairsBf16}): one sequential stream per thread, which the
     * hardware prefetcher follows without help (a 4-row tile read four rows a few KB apart at once and needed the next
     * tile's lines touched ahead by hand; decode b1 1.3x with the row kernel on a Zen 4, docs/benchmarks.md). At 4-8
     * rows, groups of four rows take {@link #tilePairsBf16x4x4}; other rows the 4 x 2 and 4 x 1 short-vector tiles.
     */
    static void multiplyBf16(MemorySegment w, int in, float[] x, float[] xp, int rows, Out y, int j0, int j1) {
        if (rows == 1) {
            for (int j = j0; j < j1; j++) {
                y.put(0, j, rowPairsBf16(w, (long) j * in, in, xp));
            }
            return;
        }
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            long e0 = (long) j * in;
            int r = 0;
            if (xp != null) {
                for (; r + 4 <= rows; r += 4) {
                    tilePairsBf16x4x4(w, e0, in, xp, r, y, j);
                }
            }
            for (; r + 2 <= rows; r += 2) {
                tileBf16x4x2(w, e0, in, x, r, y, j);
            }
            if (r < rows) {
                tileBf16x4x1(w, e0, in, x, r, y, j);
            }
        }
        for (; j < j1; j++) {
            for (int r = 0; r < rows; r++) {
                y.put(r, j, tailBf16(w, (long) j * in, x, r * in, in, 0));
            }
        }
    }

    /**
     * One BF16 weight row (from element {@code e0}) against x in pair order. Why pairs: an int vector load holds twice
     * as many BF16 values as a short vector, and a shift and a mask widen its even and odd values in place (no
     * lane-crossing conversion); the even values meet x's even values and the odd ones x's odd values. Half the
     * instructions per weight byte, which on a Zen 4 core (512-bit ops split in two) lets the next loads start early.
     * Two int vectors per step into four accumulators, so no FMA waits on the one before it.
     */
    private static float rowPairsBf16(MemorySegment w, long e0, int in, float[] xp) {
        long b = 2 * e0;
        int half = I.length();
        int block = 2 * half;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, c0 = a0, c1 = a0;
        int bound = in - in % (2 * block);
        int k = 0;
        for (; k < bound; k += 2 * block) {
            long at = b + 2L * k;
            IntVector p0 = IntVector.fromMemorySegment(I, w, at, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, at + 2L * block, LE);
            a0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k), a0);
            c0 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k + half), c0);
            a1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k + block), a1);
            c1 = p1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k + block + half), c1);
        }
        if (k + block <= in - in % block) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, b + 2L * k, LE);
            a0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k), a0);
            c0 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(S, xp, k + half), c0);
            k += block;
        }
        return a0.add(c0).add(a1.add(c1)).reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, xp, 0, in, k);
    }

    /** S.length() BF16 values from element {@code e} widened to float32. */
    private static FloatVector bf16(MemorySegment w, long e) {
        return ((IntVector) ShortVector.fromMemorySegment(H, w, e * 2, LE).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * Four BF16 weight rows against one x row. Only this shape: a 4 x 4 tile over BF16 (each widened vector feeding four
     * rows) ran 4x slower than four passes of this one, its vectors no longer fitting the JIT's registers; the weight
     * rows stay in L1 across the passes, and widening in registers costs two instructions per vector.
     */
    private static void tileBf16x4x1(MemorySegment w, long e0, int in, float[] x, int r, Out y, int j) {
        long e1 = e0 + in;
        long e2 = e1 + in;
        long e3 = e2 + in;
        int x0 = r * in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            FloatVector u = FloatVector.fromArray(S, x, x0 + k);
            a0 = bf16(w, e0 + k).fma(u, a0);
            a1 = bf16(w, e1 + k).fma(u, a1);
            a2 = bf16(w, e2 + k).fma(u, a2);
            a3 = bf16(w, e3 + k).fma(u, a3);
        }
        storeBf16(y, r, j, a0, a1, a2, a3, w, e0, x, x0, in, k);
    }

    /**
     * Four BF16 weight rows against two x rows: each widened weight vector feeds two FMAs (1.5-1.6x faster than two
     * passes of {@link #tileBf16x4x1} at 2-8 rows on [3072 x 1024]; 14 vectors live, where the 4 x 4 tile's 24
     * spilled). Each output's sum is the same sequence of FMAs as in the one-row tile.
     */
    private static void tileBf16x4x2(MemorySegment w, long e0, int in, float[] x, int r, Out y, int j) {
        long e1 = e0 + in;
        long e2 = e1 + in;
        long e3 = e2 + in;
        int x0 = r * in;
        int x1 = x0 + in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            FloatVector u = FloatVector.fromArray(S, x, x0 + k);
            FloatVector v = FloatVector.fromArray(S, x, x1 + k);
            FloatVector w0 = bf16(w, e0 + k);
            a0 = w0.fma(u, a0);
            b0 = w0.fma(v, b0);
            FloatVector w1 = bf16(w, e1 + k);
            a1 = w1.fma(u, a1);
            b1 = w1.fma(v, b1);
            FloatVector w2 = bf16(w, e2 + k);
            a2 = w2.fma(u, a2);
            b2 = w2.fma(v, b2);
            FloatVector w3 = bf16(w, e3 + k);
            a3 = w3.fma(u, a3);
            b3 = w3.fma(v, b3);
        }
        storeBf16(y, r, j, a0, a1, a2, a3, w, e0, x, x0, in, k);
        storeBf16(y, r + 1, j, b0, b1, b2, b3, w, e0, x, x1, in, k);
    }

    /**
     * Four BF16 weight rows against four x rows in pair order (4-8 rows: a batch's decode step): each int vector of
     * weight pairs, widened by a shift and a mask, feeds four FMAs per half, where the short-vector tile's lane-crossing
     * conversion fed two. The sums are reduced here, not handed to {@link #storeBf16}: with 16 accumulators passed to a
     * call the JIT did not inline, it kept every vector of the loop boxed on the heap (JFR: {@code Float512Vector}
     * allocated by each {@code fma}) and decode b8 ran 3.5x slower. On a Zen 4, 8 rows of the 112 decode projections
     * (a harness, weights cold): 1.35x the 4 x 2 short-vector tile's throughput.
     */
    private static void tilePairsBf16x4x4(MemorySegment w, long e0, int in, float[] xp, int r, Out y, int j) {
        long b0 = 2 * e0;
        long b1 = b0 + 2L * in;
        long b2 = b1 + 2L * in;
        long b3 = b2 + 2L * in;
        int x0 = r * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        int half = I.length();
        int block = 2 * half;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int bound = in - in % block;
        int k = 0;
        for (; k < bound; k += block) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, b0 + 2L * k, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, b1 + 2L * k, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, w, b2 + 2L * k, LE);
            IntVector p3 = IntVector.fromMemorySegment(I, w, b3 + 2L * k, LE);
            FloatVector u0 = FloatVector.fromArray(S, xp, x0 + k);
            FloatVector u1 = FloatVector.fromArray(S, xp, x1 + k);
            FloatVector u2 = FloatVector.fromArray(S, xp, x2 + k);
            FloatVector u3 = FloatVector.fromArray(S, xp, x3 + k);
            FloatVector v0e = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a00 = v0e.fma(u0, a00);
            a01 = v0e.fma(u1, a01);
            a02 = v0e.fma(u2, a02);
            a03 = v0e.fma(u3, a03);
            FloatVector v1e = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a10 = v1e.fma(u0, a10);
            a11 = v1e.fma(u1, a11);
            a12 = v1e.fma(u2, a12);
            a13 = v1e.fma(u3, a13);
            FloatVector v2e = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a20 = v2e.fma(u0, a20);
            a21 = v2e.fma(u1, a21);
            a22 = v2e.fma(u2, a22);
            a23 = v2e.fma(u3, a23);
            FloatVector v3e = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a30 = v3e.fma(u0, a30);
            a31 = v3e.fma(u1, a31);
            a32 = v3e.fma(u2, a32);
            a33 = v3e.fma(u3, a33);
            u0 = FloatVector.fromArray(S, xp, x0 + k + half);
            u1 = FloatVector.fromArray(S, xp, x1 + k + half);
            u2 = FloatVector.fromArray(S, xp, x2 + k + half);
            u3 = FloatVector.fromArray(S, xp, x3 + k + half);
            FloatVector v0o = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            a00 = v0o.fma(u0, a00);
            a01 = v0o.fma(u1, a01);
            a02 = v0o.fma(u2, a02);
            a03 = v0o.fma(u3, a03);
            FloatVector v1o = p1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            a10 = v1o.fma(u0, a10);
            a11 = v1o.fma(u1, a11);
            a12 = v1o.fma(u2, a12);
            a13 = v1o.fma(u3, a13);
            FloatVector v2o = p2.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            a20 = v2o.fma(u0, a20);
            a21 = v2o.fma(u1, a21);
            a22 = v2o.fma(u2, a22);
            a23 = v2o.fma(u3, a23);
            FloatVector v3o = p3.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            a30 = v3o.fma(u0, a30);
            a31 = v3o.fma(u1, a31);
            a32 = v3o.fma(u2, a32);
            a33 = v3o.fma(u3, a33);
        }
        y.put(r, j, a00.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, xp, x0, in, k));
        y.put(r, j + 1, a10.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 1L * in, xp, x0, in, k));
        y.put(r, j + 2, a20.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 2L * in, xp, x0, in, k));
        y.put(r, j + 3, a30.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 3L * in, xp, x0, in, k));
        y.put(r + 1, j, a01.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, xp, x1, in, k));
        y.put(r + 1, j + 1, a11.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 1L * in, xp, x1, in, k));
        y.put(r + 1, j + 2, a21.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 2L * in, xp, x1, in, k));
        y.put(r + 1, j + 3, a31.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 3L * in, xp, x1, in, k));
        y.put(r + 2, j, a02.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, xp, x2, in, k));
        y.put(r + 2, j + 1, a12.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 1L * in, xp, x2, in, k));
        y.put(r + 2, j + 2, a22.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 2L * in, xp, x2, in, k));
        y.put(r + 2, j + 3, a32.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 3L * in, xp, x2, in, k));
        y.put(r + 3, j, a03.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, xp, x3, in, k));
        y.put(r + 3, j + 1, a13.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 1L * in, xp, x3, in, k));
        y.put(r + 3, j + 2, a23.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 2L * in, xp, x3, in, k));
        y.put(r + 3, j + 3, a33.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 3L * in, xp, x3, in, k));
    }

    private static void storeBf16(Out y, int r, int j, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, MemorySegment w,
                                  long e0, float[] x, int x0, int in, int k0) {
        y.put(r, j, a0.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0, x, x0, in, k0));
        y.put(r, j + 1, a1.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + in, x, x0, in, k0));
        y.put(r, j + 2, a2.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 2L * in, x, x0, in, k0));
        y.put(r, j + 3, a3.reduceLanes(VectorOperators.ADD) + tailBf16(w, e0 + 3L * in, x, x0, in, k0));
    }

    /** {@code sum_{k0 <= k < in} w[e0 + k] x[x0 + k]} over BF16 weights, one element at a time. */
    private static float tailBf16(MemorySegment w, long e0, float[] x, int x0, int in, int k0) {
        float s = 0;
        for (int k = k0; k < in; k++) {
            s += Float.intBitsToFloat((w.get(I16_LE, (e0 + k) * 2) & 0xffff) << 16) * x[x0 + k];
        }
        return s;
    }

    /** Floats of a widened panel: 256 KB, so a panel and a block of x rows share a core's L2. */
    static final int PANEL_FLOATS = 1 << 16;
    /** x rows per block: a block's rows ({@code X_BLOCK * in} floats) stay in L2 while a panel's tiles pass over them. */
    private static final int X_BLOCK = 32;

    /** Weight rows per panel for a row length: a multiple of 4, at least 4. */
    static int panelRows(int in) {
        return Math.max(4, PANEL_FLOATS / in / 4 * 4);
    }

    /** Most weight rows in a panel of the broadcast kernel (short rows), so that its outputs' scratch stays small. */
    private static final int BROADCAST_MAX_ROWS = 516;

    /**
     * Weight rows per panel of the broadcast kernel for rows of {@code len} floats: a multiple of its 6-output tile (a
     * leftover output runs the 1-output tile at about a third of the rate: with 64-row panels, 4 of every 64 outputs
     * took a fifth of the kernel's time), at least 6 (rows up to {@code PANEL_FLOATS / 4} floats: see
     * {@link #BROADCAST_PANEL_FLOATS}).
     */
    static int broadcastPanelRows(int len) {
        return Math.clamp(PANEL_FLOATS / len / 6 * 6, 6, BROADCAST_MAX_ROWS);
    }

    /** Floats of the broadcast kernel's widened panel: six rows of the longest it takes, {@code PANEL_FLOATS / 4}. */
    static final int BROADCAST_PANEL_FLOATS = 6 * (PANEL_FLOATS / 4);
    /** Floats of the broadcast kernel's outputs scratch (a panel's outputs for one block of rows). */
    static final int BROADCAST_OUT_FLOATS = BROADCAST_MAX_ROWS * 2 * S.length();

    /**
     * Weight rows {@code [j0, j1)} in any stored dtype, or float32 for many rows of x (prefill, scoring): each panel of {@link #panelRows} weight rows is
     * widened to float32 once into {@code panel} (the caller's native segment, at least {@code panelRows(in) * in} floats:
     * native like the weights, so the tiles' loads see one segment class and stay intrinsified), then every
     * block of x rows is multiplied against it from cache, so the widening and the memory traffic are paid once per
     * weight row while the arithmetic runs at the FMA units' rate.
     */
    static void multiplyPanels(MemorySegment w, int kind, int in, float[] x, int rows, Out y, int j0, int j1, MemorySegment p) {
        int pr = panelRows(in);
        for (int p0 = j0; p0 < j1; p0 += pr) {
            int p1 = Math.min(j1, p0 + pr);
            widen(w, kind, (long) p0 * in, (p1 - p0) * in, p);
            for (int x0 = 0; x0 < rows; x0 += X_BLOCK) {
                int x1 = Math.min(rows, x0 + X_BLOCK);
                int j = p0;
                for (; j + 4 <= p1; j += 4) {
                    long at = (long) (j - p0) * in;
                    int r = x0;
                    for (; r + 4 <= x1; r += 4) {
                        tile4x4(p, at, in, x, r, y, j);
                    }
                    for (; r < x1; r++) {
                        tile4x1(p, at, in, x, r, y, j);
                    }
                }
                for (; j < p1; j++) {
                    for (int r = x0; r < x1; r++) {
                        y.put(r, j, dot(p, (long) (j - p0) * in, x, r * in, in));
                    }
                }
            }
        }
    }

    /** x rows per transposed block of the broadcast kernel: two vectors of rows. */
    static final int XT_ROWS = 2 * S.length();

    /** Floats {@link #transposeRows} writes for rows x in. */
    static int transposedFloats(int rows, int in) {
        return (rows + XT_ROWS - 1) / XT_ROWS * XT_ROWS * in;
    }

    /**
     * x [rows, in] as blocks of {@link #XT_ROWS} rows, each block k-major: {@code xt[(b * in + k) * XT_ROWS + i] = x[(b *
     * XT_ROWS + i) * in + k]}, zero past the last row. Once per call, read by every panel: a lane is a row.
     */
    static void transposeRows(float[] x, int rows, int in, float[] xt) {
        transposeRows(x, rows, in, xt, in * XT_ROWS, 0, (rows + XT_ROWS - 1) / XT_ROWS);
    }

    /**
     * The same for blocks {@code [b0, b1)} into blocks of {@code stride} floats each ({@code stride >= in * XT_ROWS}: the
     * room after a block's x holds LoRA rank rows, see {@link Tail}).
     */
    static void transposeRows(float[] x, int rows, int in, float[] xt, int stride, int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            int base = b * stride;
            for (int i = 0; i < XT_ROWS; i++) {
                int r = b * XT_ROWS + i;
                if (r < rows) {
                    int x0 = r * in;
                    for (int k = 0; k < in; k++) {
                        xt[base + k * XT_ROWS + i] = x[x0 + k];
                    }
                } else {
                    for (int k = 0; k < in; k++) {
                        xt[base + k * XT_ROWS + i] = 0;
                    }
                }
            }
        }
    }

    /**
     * A LoRA update folded into the broadcast kernel's sums: B [out, rank] float32 in the blocked layout, whose rank columns meet
     * the rows' scaled {@code coef * x A^T}, held transposed in each block of x at k = {@code at} (after x's {@code in}).
     * Each weight row of a panel is then {@code [W_j | B_j]}: one pass writes {@code x W^T + (coef * x A^T) B^T}.
     */
    record Tail(MemorySegment b, int rank, int at) {}

    /**
     * Writes a module's LoRA rows into the room after x in blocks {@code [b0, b1)}: {@code xt[b * stride + (at + q) *
     * XT_ROWS + i] = coefs[q] * u[(row - b0's first row) * width + from + q]} for the block's rows, zero past the last
     * row; u holds x A^T of those blocks' rows, the module's rank columns from column {@code from}.
     */
    static void putTail(float[] u, int width, int from, float[] coefs, int rows, float[] xt, int stride, int at, int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            int base = b * stride;
            for (int i = 0; i < XT_ROWS; i++) {
                int r = b * XT_ROWS + i;
                int u0 = (r - b0 * XT_ROWS) * width + from;
                for (int q = 0; q < coefs.length; q++) {
                    xt[base + (at + q) * XT_ROWS + i] = r < rows ? coefs[q] * u[u0 + q] : 0;
                }
            }
        }
    }

    /**
     * {@link #multiplyPanels} for many rows with a broadcast micro-kernel: each panel is widened into a heap array
     * {@code p}, and the rows come transposed ({@link #transposeRows}), so a vector holds one input element of
     * {@link #XT_ROWS} / 2 rows; each weight element is broadcast and multiplied into the accumulators of its output,
     * 6 outputs x 2 vectors of rows in registers, and the sums are complete in every lane: no horizontal sums (the 4 x 4
     * tile of {@link #multiplyPanels} spends 16 of them per tile). {@code p} holds {@link #BROADCAST_PANEL_FLOATS}
     * floats, {@code acc} {@link #BROADCAST_OUT_FLOATS}.
     */
    static void multiplyPanelsBroadcast(MemorySegment w, int kind, int in, float[] xt, int rows, Out y, int j0, int j1, float[] p,
                                        float[] acc) {
        multiplyPanelsBroadcast(w, kind, in, null, xt, in * XT_ROWS, rows, 0, (rows + XT_ROWS - 1) / XT_ROWS, y, j0, j1, p, acc);
    }

    /**
     * The same over blocks {@code [b0, b1)} of x transposed into blocks of {@code stride} floats, with a module's LoRA
     * update folded in when {@code tail} is not null (its B rows gathered next to each widened weight row).
     */
    static void multiplyPanelsBroadcast(MemorySegment w, int kind, int in, Tail tail, float[] xt, int stride, int rows, int b0, int b1,
                                        Out y, int j0, int j1, float[] p, float[] acc) {
        int rank = tail == null ? 0 : tail.rank();
        int len = in + rank;
        int shift = tail == null ? 0 : tail.at() - in;
        int pr = broadcastPanelRows(len);
        for (int p0 = j0; p0 < j1; p0 += pr) {
            int p1 = Math.min(j1, p0 + pr);
            if (rank == 0) {
                widen(w, kind, (long) p0 * in, (p1 - p0) * in, p, 0);
            } else {
                for (int j = p0; j < p1; j++) {
                    widen(w, kind, (long) j * in, in, p, (j - p0) * len);
                }
                for (int j = p0; j < p1; j++) {
                    for (int q = 0; q < rank; q++) {
                        p[(j - p0) * len + in + q] = tail.b().get(F32_LE, blockedIndex(j, q, rank) * Float.BYTES);
                    }
                }
            }
            for (int b = b0; b < b1; b++) {
                int base = b * stride;
                int j = p0;
                for (; j + 6 <= p1; j += 6) {
                    tileBroadcast6(p, (j - p0) * len, in, rank, shift, xt, base, acc, (j - p0) * XT_ROWS);
                }
                for (; j < p1; j++) {
                    tileBroadcast1(p, (j - p0) * len, in, rank, shift, xt, base, acc, (j - p0) * XT_ROWS);
                }
                putOutputs(acc, y, b * XT_ROWS, Math.min(XT_ROWS, rows - b * XT_ROWS), p0, p1);
            }
        }
    }

    /**
     * A panel's outputs for one block of rows from the scratch ({@code acc[(j - p0) * XT_ROWS + i]}: each output's
     * lanes as its tile stored them) into y, row by row: the tiles store whole vectors and these loads come a panel
     * later (reading each lane back right after its vector store, per output column, stalled on store forwarding).
     */
    private static void putOutputs(float[] acc, Out y, int r0, int n, int p0, int p1) {
        for (int i = 0; i < n; i++) {
            for (int j = p0; j < p1; j++) {
                y.put(r0 + i, j, acc[(j - p0) * XT_ROWS + i]);
            }
        }
    }

    /**
     * Six outputs (weight rows of {@code in + rank} floats from p[e0], one after the other) for the rows of one transposed
     * block: k over x's {@code in} elements, then over the rank rows {@code shift} further on in the block. Named
     * accumulators, see {@link #tile4x4}.
     */
    private static void tileBroadcast6(float[] p, int e0, int in, int rank, int shift, float[] xt, int base, float[] acc, int at0) {
        int len = in + rank;
        int e1 = e0 + len;
        int e2 = e1 + len;
        int e3 = e2 + len;
        int e4 = e3 + len;
        int e5 = e4 + len;
        int half = S.length();
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        for (int k = 0, end = in, at = base; k < len; end = len, at = base + (in + shift) * XT_ROWS) {
            for (; k < end; k++, at += XT_ROWS) {
                FloatVector u = FloatVector.fromArray(S, xt, at);
                FloatVector v = FloatVector.fromArray(S, xt, at + half);
                FloatVector c = FloatVector.broadcast(S, p[e0 + k]);
                a0 = u.fma(c, a0);
                b0 = v.fma(c, b0);
                c = FloatVector.broadcast(S, p[e1 + k]);
                a1 = u.fma(c, a1);
                b1 = v.fma(c, b1);
                c = FloatVector.broadcast(S, p[e2 + k]);
                a2 = u.fma(c, a2);
                b2 = v.fma(c, b2);
                c = FloatVector.broadcast(S, p[e3 + k]);
                a3 = u.fma(c, a3);
                b3 = v.fma(c, b3);
                c = FloatVector.broadcast(S, p[e4 + k]);
                a4 = u.fma(c, a4);
                b4 = v.fma(c, b4);
                c = FloatVector.broadcast(S, p[e5 + k]);
                a5 = u.fma(c, a5);
                b5 = v.fma(c, b5);
            }
        }
        a0.intoArray(acc, at0);
        b0.intoArray(acc, at0 + half);
        a1.intoArray(acc, at0 + XT_ROWS);
        b1.intoArray(acc, at0 + XT_ROWS + half);
        a2.intoArray(acc, at0 + 2 * XT_ROWS);
        b2.intoArray(acc, at0 + 2 * XT_ROWS + half);
        a3.intoArray(acc, at0 + 3 * XT_ROWS);
        b3.intoArray(acc, at0 + 3 * XT_ROWS + half);
        a4.intoArray(acc, at0 + 4 * XT_ROWS);
        b4.intoArray(acc, at0 + 4 * XT_ROWS + half);
        a5.intoArray(acc, at0 + 5 * XT_ROWS);
        b5.intoArray(acc, at0 + 5 * XT_ROWS + half);
    }

    private static void tileBroadcast1(float[] p, int e0, int in, int rank, int shift, float[] xt, int base, float[] acc, int at0) {
        int half = S.length();
        int len = in + rank;
        FloatVector a = FloatVector.zero(S), b = a;
        for (int k = 0, end = in, at = base; k < len; end = len, at = base + (in + shift) * XT_ROWS) {
            for (; k < end; k++, at += XT_ROWS) {
                FloatVector c = FloatVector.broadcast(S, p[e0 + k]);
                a = FloatVector.fromArray(S, xt, at).fma(c, a);
                b = FloatVector.fromArray(S, xt, at + half).fma(c, b);
            }
        }
        a.intoArray(acc, at0);
        b.intoArray(acc, at0 + half);
    }

    /** {@link #widen} into a heap array (the broadcast kernel's panel) from {@code out[at]} on. */
    static void widen(MemorySegment w, int kind, long from, int n, float[] out, int at) {
        switch (kind) {
            case F32 -> MemorySegment.copy(w, F32_LE, from * Float.BYTES, out, at, n);
            case BF16 -> widenBf16(w, from, n, out, at);
            default -> widenF16(w, from, n, out, at);
        }
    }

    private static void widenBf16(MemorySegment w, long from, int n, float[] out, int at) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, (from + i) * 2, LE).convertShape(VectorOperators.S2I, I, 0);
            h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, at + i);
        }
        for (; i < n; i++) {
            out[at + i] = Float.intBitsToFloat((w.get(I16_LE, (from + i) * 2) & 0xffff) << 16);
        }
    }

    private static void widenF16(MemorySegment w, long from, int n, float[] out, int at) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, (from + i) * 2, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = h.and(0x7fff);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector bits = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(out, at + i);
        }
        for (; i < n; i++) {
            out[at + i] = Float.float16ToFloat(w.get(I16_LE, (from + i) * 2));
        }
    }

    /**
     * {@code n} elements from element {@code from} of w widened into {@code out[0..n)}: BF16 by a shift into float32's
     * high half, F16 exactly (subnormals too). One loop per dtype, each small enough for the JIT to keep every vector
     * in registers (a dtype switch inside the tiles' loops made them too large to inline, and boxed vectors on the heap).
     */
    static void widen(MemorySegment w, int kind, long from, int n, MemorySegment out) {
        switch (kind) {
            case F32 -> MemorySegment.copy(w, from * Float.BYTES, out, 0, (long) n * Float.BYTES);
            case BF16 -> widenBf16(w, from, n, out);
            default -> widenF16(w, from, n, out);
        }
    }

    private static void widenBf16(MemorySegment w, long from, int n, MemorySegment out) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, (from + i) * 2, LE).convertShape(VectorOperators.S2I, I, 0);
            h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(out, (long) i * Float.BYTES, LE);
        }
        for (; i < n; i++) {
            out.set(F32_LE, (long) i * Float.BYTES, Float.intBitsToFloat((w.get(I16_LE, (from + i) * 2) & 0xffff) << 16));
        }
    }

    /**
     * Exponent and mantissa moved to float32's places and rebiased by a multiply by 2^112 (exact, subnormals included);
     * infinities and NaNs get float32's all-ones exponent; the sign goes back on last.
     */
    private static void widenF16(MemorySegment w, long from, int n, MemorySegment out) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, (from + i) * 2, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = h.and(0x7fff);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector bits = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoMemorySegment(out, (long) i * Float.BYTES, LE);
        }
        for (; i < n; i++) {
            out.set(F32_LE, (long) i * Float.BYTES, Float.float16ToFloat(w.get(I16_LE, (from + i) * 2)));
        }
    }

    /**
     * Output columns per block of a LoRA B in the kernels' blocked layout ({@link ProjectionModule.Lora}): a multiple of
     * every vector width (4, 8, 16 floats).
     */
    static final int B_BLOCK = 16;

    /** Floats of a blocked B of {@code out} outputs and rank {@code rank}: the last block padded with zeros. */
    static long blockedFloats(int out, int rank) {
        return (long) ((out + B_BLOCK - 1) / B_BLOCK) * B_BLOCK * rank;
    }

    /** Where B[j, q] lies in a blocked B of rank {@code rank}: {@code [out / B_BLOCK][rank][B_BLOCK]}. */
    static long blockedIndex(int j, int q, int rank) {
        return ((long) (j / B_BLOCK) * rank + q) * B_BLOCK + j % B_BLOCK;
    }

    /**
     * Columns {@code [j0, j1)}: {@code y[r * stride + offset + j] += sum_q u[r, q] B[j, q]}, B float32 in the blocked
     * layout. A block's rank rows of {@link #B_BLOCK} columns lie one after the other, so a run of columns reads one
     * contiguous run of B (prefetched as a stream), and each B vector meets the broadcast u of up to four rows with no
     * horizontal sums. (Row-major B needs a horizontal sum per output; B transposed [rank, out] gave each chunk of
     * columns rank short runs at a stride of {@code out}, which the prefetchers do not follow.)
     */
    static void addProduct(float[] u, int rows, int rank, MemorySegment b, Out y, int j0, int j1) {
        int lanes = S.length();
        long step = (long) B_BLOCK * Float.BYTES; // from one rank row of a block to the next
        for (int j = j0; j < j1; ) {
            int blockEnd = (j / B_BLOCK + 1) * B_BLOCK;
            if (j % lanes != 0 || j + lanes > j1) {
                for (int r = 0; r < rows; r++) {
                    float sum = 0;
                    for (int q = 0; q < rank; q++) {
                        sum += u[r * rank + q] * b.get(F32_LE, blockedIndex(j, q, rank) * Float.BYTES);
                    }
                    y.y()[r * y.stride() + y.offset() + j] += sum;
                }
                j++;
                continue;
            }
            for (; j + lanes <= Math.min(j1, blockEnd); j += lanes) {
                long at = blockedIndex(j, 0, rank) * Float.BYTES;
                int r = 0;
                for (; r + 4 <= rows; r += 4) {
                    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                    int u0 = r * rank;
                    for (int q = 0; q < rank; q++) {
                        FloatVector v = FloatVector.fromMemorySegment(S, b, at + q * step, LE);
                        a0 = v.fma(FloatVector.broadcast(S, u[u0 + q]), a0);
                        a1 = v.fma(FloatVector.broadcast(S, u[u0 + rank + q]), a1);
                        a2 = v.fma(FloatVector.broadcast(S, u[u0 + 2 * rank + q]), a2);
                        a3 = v.fma(FloatVector.broadcast(S, u[u0 + 3 * rank + q]), a3);
                    }
                    y.addLanes(r, j, a0);
                    y.addLanes(r + 1, j, a1);
                    y.addLanes(r + 2, j, a2);
                    y.addLanes(r + 3, j, a3);
                }
                for (; r < rows; r++) {
                    FloatVector a0 = FloatVector.zero(S);
                    int u0 = r * rank;
                    for (int q = 0; q < rank; q++) {
                        a0 = FloatVector.fromMemorySegment(S, b, at + q * step, LE).fma(FloatVector.broadcast(S, u[u0 + q]), a0);
                    }
                    y.addLanes(r, j, a0);
                }
            }
        }
    }

    /** {@code out[r, i] = silu(gateUp[r, i]) * gateUp[r, n + i]}: SwiGLU over rows of the fused gate/up output [rows, 2n]. */
    static void siluGate(float[] gateUp, int rows, int n, float[] out) {
        int bound = S.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int g0 = r * 2 * n;
            int u0 = g0 + n;
            int o0 = r * n;
            int i = 0;
            for (; i < bound; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gateUp, g0 + i);
                FloatVector sigmoidDenominator = g.neg().lanewise(VectorOperators.EXP).add(1f);
                g.div(sigmoidDenominator).mul(FloatVector.fromArray(S, gateUp, u0 + i)).intoArray(out, o0 + i);
            }
            for (; i < n; i++) {
                float g = gateUp[g0 + i];
                out[o0 + i] = (float) (g / (1 + Math.exp(-g))) * gateUp[u0 + i];
            }
        }
    }

    /**
     * Causal attention of the new tokens over the keys and values held: q [batch, heads, tokens, d]; k and v
     * [batch, kvHeads, capacity, d] holding {@code past + tokens} positions; keyMask [batch, past + tokens] (0 =
     * padding) or null. Query i of a sequence sees the keys j <= past + i that are not padding and, with
     * {@code window > 0}, lie in HF's sliding window ({@code j > past + i - window}, over cache positions; none:
     * its output stays zero); head h reads kv head h / (heads / kvHeads). Scores are {@code scale * q . k_j},
     * soft-capped to {@code softcap tanh(s / softcap)} when {@code softcap > 0} (Gemma 2). Sequence-heads
     * {@code [bh0, bh1)} (b * heads + h), into out [batch * tokens, heads * d]; {@code p} is scratch of at least
     * past + tokens floats.
     */
    static void attend(float[] q, float[] k, float[] v, int capacity, int heads, int kvHeads, int tokens, int past, int d, float scale,
                       float softcap, int window, float[] keyMask, float[] out, int bh0, int bh1, float[] p) {
        int rep = heads / kvHeads;
        int seen = past + tokens;
        for (int bh = bh0; bh < bh1; bh++) {
            int b = bh / heads;
            int h = bh % heads;
            int kv0 = (b * kvHeads + h / rep) * capacity * d;
            for (int i = 0; i < tokens; i++) {
                int q0 = (bh * tokens + i) * d;
                int total = past + i + 1;
                int first = window > 0 ? Math.max(0, total - window) : 0;
                int n = total - first;
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    dot4(q, q0, k, kv0 + (first + j) * d, d, p, j);
                }
                for (; j < n; j++) {
                    p[j] = dot(q, q0, k, kv0 + (first + j) * d, d);
                }
                float max = Float.NEGATIVE_INFINITY;
                for (j = 0; j < n; j++) {
                    float s;
                    if (keyMask != null && keyMask[b * seen + first + j] == 0) {
                        s = Float.NEGATIVE_INFINITY;
                    } else {
                        s = p[j] * scale;
                        if (softcap > 0) {
                            s = softcap * (float) Math.tanh(s / softcap);
                        }
                    }
                    p[j] = s;
                    max = Math.max(max, s);
                }
                int o0 = (b * tokens + i) * heads * d + h * d;
                if (max == Float.NEGATIVE_INFINITY) {
                    java.util.Arrays.fill(out, o0, o0 + d, 0f); // every key masked (a padding query)
                    continue;
                }
                float sum = expMinus(p, n, max);
                weightedSum(p, n, 1 / sum, v, kv0 + first * d, d, out, o0);
            }
        }
    }

    /**
     * Scores of one query against four consecutive keys (rows of d at k0): four independent FMA chains over one load of
     * each query vector (one key at a time was one chain, its FMAs waiting on each other).
     */
    private static void dot4(float[] q, int q0, float[] k, int k0, int d, float[] p, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int k1 = k0 + d;
        int k2 = k1 + d;
        int k3 = k2 + d;
        int bound = S.loopBound(d);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, q, q0 + i);
            a0 = FloatVector.fromArray(S, k, k0 + i).fma(x, a0);
            a1 = FloatVector.fromArray(S, k, k1 + i).fma(x, a1);
            a2 = FloatVector.fromArray(S, k, k2 + i).fma(x, a2);
            a3 = FloatVector.fromArray(S, k, k3 + i).fma(x, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < d; i++) {
            s0 += q[q0 + i] * k[k0 + i];
            s1 += q[q0 + i] * k[k1 + i];
            s2 += q[q0 + i] * k[k2 + i];
            s3 += q[q0 + i] * k[k3 + i];
        }
        p[at] = s0;
        p[at + 1] = s1;
        p[at + 2] = s2;
        p[at + 3] = s3;
    }

    /**
     * {@code out[o0 + c] = scale * sum_j w[j] v[v0 + j * d + c]} over n value rows (w[j] == 0 skipped: masked keys):
     * four vectors of the output summed in registers across all the rows, then stored once (adding each row into out
     * read and wrote it back per key).
     */
    private static void weightedSum(float[] w, int n, float scale, float[] v, int v0, int d, float[] out, int o0) {
        int lanes = S.length();
        int c = 0;
        for (; c + 4 * lanes <= d; c += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < n; j++) {
                if (w[j] == 0) {
                    continue;
                }
                FloatVector x = FloatVector.broadcast(S, w[j]);
                int at = v0 + j * d + c;
                a0 = FloatVector.fromArray(S, v, at).fma(x, a0);
                a1 = FloatVector.fromArray(S, v, at + lanes).fma(x, a1);
                a2 = FloatVector.fromArray(S, v, at + 2 * lanes).fma(x, a2);
                a3 = FloatVector.fromArray(S, v, at + 3 * lanes).fma(x, a3);
            }
            a0.mul(scale).intoArray(out, o0 + c);
            a1.mul(scale).intoArray(out, o0 + c + lanes);
            a2.mul(scale).intoArray(out, o0 + c + 2 * lanes);
            a3.mul(scale).intoArray(out, o0 + c + 3 * lanes);
        }
        for (; c + lanes <= d; c += lanes) {
            FloatVector a = FloatVector.zero(S);
            for (int j = 0; j < n; j++) {
                if (w[j] != 0) {
                    a = FloatVector.fromArray(S, v, v0 + j * d + c).fma(FloatVector.broadcast(S, w[j]), a);
                }
            }
            a.mul(scale).intoArray(out, o0 + c);
        }
        for (; c < d; c++) {
            float a = 0;
            for (int j = 0; j < n; j++) {
                a += w[j] * v[v0 + j * d + c];
            }
            out[o0 + c] = a * scale;
        }
    }

    /** RMSNorm of {@code x[at..at + n)} times weight into {@code out[o..o + n)} (see {@link CpuMatmul#rmsNormRow}). */
    static void rmsNormRow(float[] x, int at, int n, float[] weight, float eps, float[] out, int o) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, at + i);
            acc = v.fma(v, acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += x[at + i] * x[at + i];
        }
        float scale = (float) (1 / Math.sqrt(sum / n + eps));
        for (i = 0; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, at + i).mul(scale).mul(FloatVector.fromArray(S, weight, i)).intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] = x[at + i] * scale * weight[i];
        }
    }

    /** The largest of {@code z[from..from + n)} (n > 0). */
    static float max(float[] z, int from, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            m = m.max(FloatVector.fromArray(S, z, from + j));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, z[from + j]);
        }
        return max;
    }

    /** {@code sum exp(z[from + j] - max)} for j < n: a row's softmax denominator relative to its max. */
    static float sumExp(float[] z, int from, int n, float max) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, z, from + j).sub(max).lanewise(VectorOperators.EXP));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            sum += (float) Math.exp(z[from + j] - max);
        }
        return sum;
    }

    /** {@code p[j] = exp(p[j] - max)} for j < n (exp(-inf) = 0), returning their sum. */
    private static float expMinus(float[] p, int n, float max) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            FloatVector e = FloatVector.fromArray(S, p, j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(p, j);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            p[j] = (float) Math.exp(p[j] - max);
            sum += p[j];
        }
        return sum;
    }

    private static float dot(float[] a, int a0, float[] b, int b0, int n) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, a0 + i).fma(FloatVector.fromArray(S, b, b0 + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[a0 + i] * b[b0 + i];
        }
        return sum;
    }

    /** Where results go: row r, weight row j at {@code y[r * stride + offset + j]}, replacing or adding. */
    record Out(float[] y, int stride, int offset, boolean add) {
        void put(int r, int j, float v) {
            int i = r * stride + offset + j;
            y[i] = add ? y[i] + v : v;
        }

        /** Adds a vector's lanes at row r, columns j.. (whatever {@code add} says: products are always added). */
        void addLanes(int r, int j, FloatVector v) {
            int i = r * stride + offset + j;
            FloatVector.fromArray(S, y, i).add(v).intoArray(y, i);
        }
    }

    /**
     * Written out by hand, one named accumulator per (weight row, x row): C2 keeps named vectors in
     * registers, while an array of vectors or a loop over x rows is boxed or spilled (a 3 x 8 tile over an
     * array of accumulators ran 7x slower). Weight rows start at element {@code e0} and follow each other.
     */
    private static void tile4x4(MemorySegment w, long e0, int in, float[] x, int r, Out y, int j) {
        long e1 = e0 + in;
        long e2 = e1 + in;
        long e3 = e2 + in;
        int x0 = r * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, w, (e0 + k) * Float.BYTES, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(S, w, (e1 + k) * Float.BYTES, LE);
            FloatVector v2 = FloatVector.fromMemorySegment(S, w, (e2 + k) * Float.BYTES, LE);
            FloatVector v3 = FloatVector.fromMemorySegment(S, w, (e3 + k) * Float.BYTES, LE);
            FloatVector u = FloatVector.fromArray(S, x, x0 + k);
            a00 = v0.fma(u, a00);
            a10 = v1.fma(u, a10);
            a20 = v2.fma(u, a20);
            a30 = v3.fma(u, a30);
            u = FloatVector.fromArray(S, x, x1 + k);
            a01 = v0.fma(u, a01);
            a11 = v1.fma(u, a11);
            a21 = v2.fma(u, a21);
            a31 = v3.fma(u, a31);
            u = FloatVector.fromArray(S, x, x2 + k);
            a02 = v0.fma(u, a02);
            a12 = v1.fma(u, a12);
            a22 = v2.fma(u, a22);
            a32 = v3.fma(u, a32);
            u = FloatVector.fromArray(S, x, x3 + k);
            a03 = v0.fma(u, a03);
            a13 = v1.fma(u, a13);
            a23 = v2.fma(u, a23);
            a33 = v3.fma(u, a33);
        }
        store(y, r, j, a00, a10, a20, a30, w, e0, x, x0, in, k);
        store(y, r + 1, j, a01, a11, a21, a31, w, e0, x, x1, in, k);
        store(y, r + 2, j, a02, a12, a22, a32, w, e0, x, x2, in, k);
        store(y, r + 3, j, a03, a13, a23, a33, w, e0, x, x3, in, k);
    }

    private static void tile4x1(MemorySegment w, long e0, int in, float[] x, int r, Out y, int j) {
        long e1 = e0 + in;
        long e2 = e1 + in;
        long e3 = e2 + in;
        int x0 = r * in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            FloatVector u = FloatVector.fromArray(S, x, x0 + k);
            a0 = FloatVector.fromMemorySegment(S, w, (e0 + k) * Float.BYTES, LE).fma(u, a0);
            a1 = FloatVector.fromMemorySegment(S, w, (e1 + k) * Float.BYTES, LE).fma(u, a1);
            a2 = FloatVector.fromMemorySegment(S, w, (e2 + k) * Float.BYTES, LE).fma(u, a2);
            a3 = FloatVector.fromMemorySegment(S, w, (e3 + k) * Float.BYTES, LE).fma(u, a3);
        }
        store(y, r, j, a0, a1, a2, a3, w, e0, x, x0, in, k);
    }

    /** Row r, weight rows j..j+3: lanes of a_i summed, plus the scalar tail k0..in of weight row j + i (at e0 + i*in). */
    private static void store(Out y, int r, int j, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, MemorySegment w,
                              long e0, float[] x, int x0, int in, int k0) {
        y.put(r, j, a0.reduceLanes(VectorOperators.ADD) + tail(w, e0, x, x0, in, k0));
        y.put(r, j + 1, a1.reduceLanes(VectorOperators.ADD) + tail(w, e0 + in, x, x0, in, k0));
        y.put(r, j + 2, a2.reduceLanes(VectorOperators.ADD) + tail(w, e0 + 2L * in, x, x0, in, k0));
        y.put(r, j + 3, a3.reduceLanes(VectorOperators.ADD) + tail(w, e0 + 3L * in, x, x0, in, k0));
    }

    private static float dot(MemorySegment w, long e0, float[] x, int x0, int in) {
        FloatVector a = FloatVector.zero(S);
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            a = FloatVector.fromMemorySegment(S, w, (e0 + k) * Float.BYTES, LE).fma(FloatVector.fromArray(S, x, x0 + k), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + tail(w, e0, x, x0, in, k);
    }

    private static float tail(MemorySegment w, long e0, float[] x, int x0, int in, int k0) {
        float s = 0;
        for (int k = k0; k < in; k++) {
            s += w.get(F32_LE, (e0 + k) * Float.BYTES) * x[x0 + k];
        }
        return s;
    }
}
