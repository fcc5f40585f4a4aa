package io.laem.engine.linalg;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Low-rank linear algebra on ND4J (LAPACK through {@code Nd4j.getBlasWrapper().lapack()}: the
 * {@code Svd} op wrappers are broken in 1.0.0-M2.1).
 *
 * <p>{@link #truncate} is the rank-space path: a sum of low-rank terms {@code Bc @ Ac} ([out, R] x
 * [R, in]) is reduced to its best rank-k approximation by QR of {@code Bc} and {@code Ac^T} and an
 * SVD of the R x R core, O((out + in) R^2), never an out x in matrix. {@link #dense} approximates a
 * full matrix (after element-wise redundancy removal) by a randomized range finder with power
 * iterations (Halko, Martinsson, Tropp 2011), exact SVD for small matrices.
 */
public final class LowRank {
    /** Extra sampled directions of the randomized range finder. */
    static final int OVERSAMPLE = 10;
    /** Power iterations of the randomized range finder. */
    static final int POWER_ITERATIONS = 2;

    private LowRank() {}

    /**
     * Threads of the BLAS/LAPACK library behind ND4J (OpenBLAS). The rank-space path runs many small
     * QR/SVD calls, for which one thread avoids spin-waiting on a busy machine.
     */
    public static void setBlasThreads(int threads) {
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Row-major float data as an ND4J double matrix. */
    public static INDArray matrix(float[] data, int rows, int cols) {
        return Nd4j.createFromArray(data).reshape('c', rows, cols).castTo(DataType.DOUBLE);
    }

    /**
     * Best rank-{@code k} approximation of {@code bc @ ac} (bc [out, r], ac [r, in], double). The
     * singular values are split evenly between the factors (b = Q_b U sqrt(S), a = sqrt(S) V^T Q_a^T).
     */
    public static Factors truncate(INDArray bc, INDArray ac, int k) {
        int out = (int) bc.rows();
        int in = (int) ac.columns();
        if (bc.columns() == 0) {
            return Factors.zero(in, out);
        }
        INDArray[] qb = thinQr(bc);
        INDArray[] qa = thinQr(ac.transpose());
        INDArray core = qb[1].mmul(qa[1].transpose());
        INDArray[] usv = svd(core);
        return assemble(qb[0], usv[0], usv[1], usv[2], qa[0].transpose(), k, out, in, energy(usv[1]));
    }

    /**
     * Rank-{@code k} approximation of a dense [out, in] matrix (row-major float), randomized for large
     * matrices (seeded, so deterministic). Retained energy is relative to the full matrix's norm.
     */
    public static Factors dense(float[] d, int out, int in, int k, long seed) {
        int m = Math.min(out, in);
        double total = 0;
        for (float v : d) {
            total += (double) v * v;
        }
        if (total == 0 || k == 0) {
            return new Factors(0, in, out, new float[0], new float[0], total == 0 ? 1.0 : 0.0, new double[0]);
        }
        int l = Math.min(k + OVERSAMPLE, m);
        if (m <= 4 * l || m <= 128) {
            INDArray[] usv = svd(Nd4j.createFromArray(d).reshape('c', out, in).castTo(DataType.DOUBLE));
            return assemble(null, usv[0], usv[1], usv[2], null, k, out, in, total);
        }
        // the big products run in float32 (the matrix is float32 anyway); QR and SVD of the thin factors in double
        INDArray x = Nd4j.createFromArray(d).reshape('c', out, in);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] omega = new float[in * l];
        for (int i = 0; i < omega.length; i++) {
            omega[i] = (float) gaussian(rnd);
        }
        INDArray q = thinQr(x.mmul(Nd4j.createFromArray(omega).reshape('c', in, l)).castTo(DataType.DOUBLE))[0];
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            INDArray z = thinQr(x.transpose().mmul(q.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE))[0];
            q = thinQr(x.mmul(z.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE))[0];
        }
        INDArray small = q.castTo(DataType.FLOAT).transpose().mmul(x).castTo(DataType.DOUBLE); // [l, in]
        INDArray[] qs = thinQr(small.transpose()); // small^T = Q2 R2, small = R2^T Q2^T
        INDArray[] usv = svd(qs[1].transpose());
        return assemble(q, usv[0], usv[1], usv[2], qs[0].transpose(), k, out, in, total);
    }

    /** [left @ U_k sqrt(S_k)] and [sqrt(S_k) Vt_k @ right]; null left/right mean identity. */
    private static Factors assemble(INDArray left, INDArray u, INDArray s, INDArray vt, INDArray right, int k, int out, int in,
                                    double total) {
        double[] sv = s.toDoubleVector();
        int kk = Math.min(k, sv.length);
        double kept = 0;
        for (int i = 0; i < kk; i++) {
            kept += sv[i] * sv[i];
        }
        if (kk == 0) {
            return new Factors(0, in, out, new float[0], new float[0], total == 0 ? 1.0 : 0.0, sv);
        }
        INDArray root = Nd4j.createFromArray(java.util.Arrays.stream(sv, 0, kk).map(Math::sqrt).toArray());
        INDArray uk = u.get(NDArrayIndex.all(), NDArrayIndex.interval(0, kk)).mulRowVector(root);
        INDArray vk = vt.get(NDArrayIndex.interval(0, kk), NDArrayIndex.all()).mulColumnVector(root.reshape(kk, 1));
        INDArray b = left == null ? uk : left.mmul(uk);
        INDArray a = right == null ? vk : vk.mmul(right);
        return new Factors(kk, in, out, toFloats(a), toFloats(b), total == 0 ? 1.0 : Math.min(1.0, kept / total), sv);
    }

    private static double energy(INDArray s) {
        double e = 0;
        for (double v : s.toDoubleVector()) {
            e += v * v;
        }
        return e;
    }

    /** A module's dense delta {@code scale * B A} ([out, in], row-major float32) by one float GEMM. */
    public static float[] denseDelta(LoraModule m) {
        if (m.rank() == 0) {
            return new float[m.out() * m.in()];
        }
        INDArray b = Nd4j.createFromArray(m.b()).reshape('c', m.out(), m.rank());
        INDArray a = Nd4j.createFromArray(m.a()).reshape('c', m.rank(), m.in());
        INDArray d = b.mmul(a);
        if (m.scale() != 1.0) {
            d.muli(m.scale());
        }
        return d.dup('c').data().asFloat();
    }

    /** {@code B' = [w_1 s_1 B_1 ... w_T s_T B_T]}, {@code A' = [A_1; ...; A_T]}, scale 1. */
    public static LoraModule concatenate(ModuleKey key, List<LoraModule> terms, List<Double> weights) {
        int out = terms.getFirst().out();
        int in = terms.getFirst().in();
        int total = terms.stream().mapToInt(LoraModule::rank).sum();
        float[] b = new float[out * total];
        float[] a = new float[total * in];
        int off = 0;
        for (int t = 0; t < terms.size(); t++) {
            LoraModule m = terms.get(t);
            double f = weights.get(t) * m.scale();
            int r = m.rank();
            for (int o = 0; o < out; o++) {
                for (int j = 0; j < r; j++) {
                    b[o * total + off + j] = (float) (f * m.b()[o * r + j]);
                }
            }
            System.arraycopy(m.a(), 0, a, off * in, r * in);
            off += r;
        }
        return new LoraModule(key, total, in, out, a, b, 1.0);
    }

    /** The fewest leading singular values whose squared sum reaches {@code threshold} of the total (0 for a zero matrix). */
    public static int directionsFor(double[] sv, double threshold) {
        double total = 0;
        for (double v : sv) {
            total += v * v;
        }
        if (total == 0) {
            return 0;
        }
        double acc = 0;
        for (int i = 0; i < sv.length; i++) {
            acc += sv[i] * sv[i];
            if (acc >= threshold * total * (1 - 1e-12)) {
                return i + 1;
            }
        }
        return sv.length;
    }

    /** Row-major float copy of a matrix. */
    public static float[] toFloats(INDArray m) {
        return m.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /**
     * Thin QR of an [m, n] matrix: {Q [m, p], R [p, n]} with p = min(m, n); for m < n, Q is the
     * identity and R the matrix itself (no reduction possible).
     */
    static INDArray[] thinQr(INDArray m) {
        long rows = m.rows();
        long cols = m.columns();
        if (rows < cols) {
            return new INDArray[] {Nd4j.eye(rows).castTo(DataType.DOUBLE), m.dup('c')};
        }
        INDArray q = m.dup('f');
        INDArray r = Nd4j.create(DataType.DOUBLE, new long[] {cols, cols}, 'f');
        Nd4j.getBlasWrapper().lapack().geqrf(q, r);
        return new INDArray[] {q, r};
    }

    /** Full SVD {U [m, m], S [min], Vt [n, n]} by LAPACK gesvd. */
    static INDArray[] svd(INDArray m) {
        long rows = m.rows();
        long cols = m.columns();
        INDArray s = Nd4j.create(DataType.DOUBLE, Math.min(rows, cols));
        INDArray u = Nd4j.create(DataType.DOUBLE, new long[] {rows, rows}, 'f');
        INDArray vt = Nd4j.create(DataType.DOUBLE, new long[] {cols, cols}, 'f');
        Nd4j.getBlasWrapper().lapack().gesvd(m.dup('f'), s, u, vt);
        return new INDArray[] {u, s, vt};
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
