package io.laem.engine.infer.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x W^T} for a few rows of x, with the JDK's Vector API. W is float32 [out, in], row-major,
 * little-endian, read in place from native memory; x [rows, in] and y [rows, out] are heap arrays.
 *
 * <p>Tiles of 4 weight rows by 4 x rows keep 16 accumulators in registers, so each weight vector
 * loaded from memory feeds 4 FMAs and a tile's weight rows (4 x in floats) stay in L1/L2 while the
 * next x rows reuse them: the weights stream from memory once per call whatever the row count.
 * Only this class names {@code jdk.incubator.vector}; {@link FewRowMatmul} loads it when the
 * module is present.
 */
final class VectorKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final java.lang.foreign.ValueLayout.OfFloat F32_LE = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private VectorKernel() {}

    static int lanes() {
        return S.length();
    }

    /**
     * Weight rows {@code [j0, j1)}: {@code y[r * stride + offset + j] (+)= sum_k x[r, k] w[j, k]} for every
     * row r of x, added to what y holds when {@code add}.
     */
    static void multiply(MemorySegment w, int in, float[] x, int rows, Out y, int j0, int j1) {
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                tile4x4(w, in, x, r, y, j);
            }
            for (; r < rows; r++) {
                tile4x1(w, in, x, r, y, j);
            }
        }
        for (; j < j1; j++) {
            for (int r = 0; r < rows; r++) {
                y.put(r, j, dot(w, (long) j * in * Float.BYTES, x, r * in, in));
            }
        }
    }

    /**
     * Columns {@code [j0, j1)}: {@code y[r * stride + offset + j] += sum_q u[r, q] bt[q, j]}, bt float32
     * [rank, out] row-major (a LoRA B transposed). Vectorised along j, so no horizontal sums; four rows
     * at a time keep four FMA chains in flight over one load of bt.
     */
    static void addProduct(float[] u, int rows, int rank, MemorySegment bt, int out, Out y, int j0, int j1) {
        int j = j0;
        for (; j + S.length() <= j1; j += S.length()) {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int u0 = r * rank;
                for (int q = 0; q < rank; q++) {
                    FloatVector b = FloatVector.fromMemorySegment(S, bt, ((long) q * out + j) * Float.BYTES, LE);
                    a0 = b.fma(FloatVector.broadcast(S, u[u0 + q]), a0);
                    a1 = b.fma(FloatVector.broadcast(S, u[u0 + rank + q]), a1);
                    a2 = b.fma(FloatVector.broadcast(S, u[u0 + 2 * rank + q]), a2);
                    a3 = b.fma(FloatVector.broadcast(S, u[u0 + 3 * rank + q]), a3);
                }
                y.addLanes(r, j, a0);
                y.addLanes(r + 1, j, a1);
                y.addLanes(r + 2, j, a2);
                y.addLanes(r + 3, j, a3);
            }
            for (; r < rows; r++) {
                FloatVector a = FloatVector.zero(S);
                for (int q = 0; q < rank; q++) {
                    a = FloatVector.fromMemorySegment(S, bt, ((long) q * out + j) * Float.BYTES, LE).fma(FloatVector.broadcast(S, u[r * rank + q]), a);
                }
                y.addLanes(r, j, a);
            }
        }
        for (; j < j1; j++) {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int q = 0; q < rank; q++) {
                    sum += u[r * rank + q] * bt.get(F32_LE, ((long) q * out + j) * Float.BYTES);
                }
                int i = y.stride() * r + y.offset() + j;
                y.y()[i] += sum;
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
     * Attention of one new token per sequence: for each sequence b and head h (kv head h / (heads / kvHeads)),
     * softmax over j < total of {@code scale * q . k_j}, then the weighted sum of v_j, into row b of out
     * [batch, heads * d]. q [batch, heads, d], k and v [batch, kvHeads, total, d].
     */
    static void attendOne(float[] q, float[] k, float[] v, int batch, int heads, int kvHeads, int total, int d, float scale, float softcap,
                          float[] out) {
        int rep = heads / kvHeads;
        float[] p = new float[total];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int q0 = (b * heads + h) * d;
                int kv0 = (b * kvHeads + h / rep) * total * d;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < total; j++) {
                    p[j] = dot(q, q0, k, kv0 + j * d, d) * scale;
                    if (softcap > 0) {
                        p[j] = softcap * (float) Math.tanh(p[j] / softcap);
                    }
                    max = Math.max(max, p[j]);
                }
                float sum = 0;
                for (int j = 0; j < total; j++) {
                    p[j] = (float) Math.exp(p[j] - max);
                    sum += p[j];
                }
                int o0 = b * heads * d + h * d;
                for (int j = 0; j < total; j++) {
                    axpy(p[j] / sum, v, kv0 + j * d, out, o0, d);
                }
            }
        }
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

    /** {@code y[y0..y0+n) += alpha x[x0..x0+n)}. */
    private static void axpy(float alpha, float[] x, int x0, float[] y, int y0, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, x0 + i).fma(a, FloatVector.fromArray(S, y, y0 + i)).intoArray(y, y0 + i);
        }
        for (; i < n; i++) {
            y[y0 + i] += alpha * x[x0 + i];
        }
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
     * array of accumulators ran 7x slower).
     */
    private static void tile4x4(MemorySegment w, int in, float[] x, int r, Out y, int j) {
        long w0 = (long) j * in * Float.BYTES;
        long w1 = w0 + (long) in * Float.BYTES;
        long w2 = w1 + (long) in * Float.BYTES;
        long w3 = w2 + (long) in * Float.BYTES;
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
            long kb = (long) k * Float.BYTES;
            FloatVector v0 = FloatVector.fromMemorySegment(S, w, w0 + kb, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(S, w, w1 + kb, LE);
            FloatVector v2 = FloatVector.fromMemorySegment(S, w, w2 + kb, LE);
            FloatVector v3 = FloatVector.fromMemorySegment(S, w, w3 + kb, LE);
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
        store(y, r, j, a00, a10, a20, a30, w, w0, x, x0, in, k);
        store(y, r + 1, j, a01, a11, a21, a31, w, w0, x, x1, in, k);
        store(y, r + 2, j, a02, a12, a22, a32, w, w0, x, x2, in, k);
        store(y, r + 3, j, a03, a13, a23, a33, w, w0, x, x3, in, k);
    }

    private static void tile4x1(MemorySegment w, int in, float[] x, int r, Out y, int j) {
        long w0 = (long) j * in * Float.BYTES;
        long w1 = w0 + (long) in * Float.BYTES;
        long w2 = w1 + (long) in * Float.BYTES;
        long w3 = w2 + (long) in * Float.BYTES;
        int x0 = r * in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            long kb = (long) k * Float.BYTES;
            FloatVector u = FloatVector.fromArray(S, x, x0 + k);
            a0 = FloatVector.fromMemorySegment(S, w, w0 + kb, LE).fma(u, a0);
            a1 = FloatVector.fromMemorySegment(S, w, w1 + kb, LE).fma(u, a1);
            a2 = FloatVector.fromMemorySegment(S, w, w2 + kb, LE).fma(u, a2);
            a3 = FloatVector.fromMemorySegment(S, w, w3 + kb, LE).fma(u, a3);
        }
        store(y, r, j, a0, a1, a2, a3, w, w0, x, x0, in, k);
    }

    /** Row r, weight rows j..j+3: lanes of a_i summed, plus the scalar tail k0..in of weight row j + i (at w0 + i*in). */
    private static void store(Out y, int r, int j, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, MemorySegment w,
                              long w0, float[] x, int x0, int in, int k0) {
        long rowBytes = (long) in * Float.BYTES;
        y.put(r, j, a0.reduceLanes(VectorOperators.ADD) + tail(w, w0, x, x0, in, k0));
        y.put(r, j + 1, a1.reduceLanes(VectorOperators.ADD) + tail(w, w0 + rowBytes, x, x0, in, k0));
        y.put(r, j + 2, a2.reduceLanes(VectorOperators.ADD) + tail(w, w0 + 2 * rowBytes, x, x0, in, k0));
        y.put(r, j + 3, a3.reduceLanes(VectorOperators.ADD) + tail(w, w0 + 3 * rowBytes, x, x0, in, k0));
    }

    private static float dot(MemorySegment w, long w0, float[] x, int x0, int in) {
        FloatVector a = FloatVector.zero(S);
        int bound = S.loopBound(in);
        int k = 0;
        for (; k < bound; k += S.length()) {
            a = FloatVector.fromMemorySegment(S, w, w0 + (long) k * Float.BYTES, LE).fma(FloatVector.fromArray(S, x, x0 + k), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + tail(w, w0, x, x0, in, k);
    }

    private static float tail(MemorySegment w, long w0, float[] x, int x0, int in, int k0) {
        float s = 0;
        for (int k = k0; k < in; k++) {
            s += w.get(F32_LE, w0 + (long) k * Float.BYTES) * x[x0 + k];
        }
        return s;
    }
}
