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
 * [R, in]) is reduced to its best rank-k approximation by orthogonal factorizations of {@code Bc} and
 * {@code Ac^T} and an SVD of the R x R core, O((out + in) R^2), never an out x in matrix. The
 * factorizations come from the R x R Gram matrices (one GEMM each; a tall Householder QR runs at
 * level-2 BLAS speed and was the bottleneck); directions whose Gram eigenvalue is below 1e-14 of the
 * largest (singular value below 1e-7 of the largest) are treated as null. {@link #dense} approximates a
 * full matrix (after element-wise redundancy removal) by a randomized range finder with power
 * iterations (Halko, Martinsson, Tropp 2011), exact SVD for small matrices.
 */
public final class LowRank {
    /** Extra sampled directions of the randomized range finder. */
    static final int OVERSAMPLE = 10;
    /** Power iterations of the randomized range finder. */
    static final int POWER_ITERATIONS = 1;

    private LowRank() {}

    /**
     * Threads of ND4J (its own ops and the BLAS/LAPACK behind it). Merging runs many small products and
     * factorizations per module, where thread start-up and spin-waiting cost more than they save (4-10x
     * slower with two threads on a busy two-core machine), so the default is one thread; the system
     * property {@code laem.nd4j.threads} or this method changes it.
     */
    public static void setThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Applies the default thread count once, on first use of ND4J here (the exact path never loads ND4J). */
    private static final class Threads {
        static {
            setThreads(Integer.getInteger("laem.nd4j.threads", 1));
        }

        static void ensure() {
            // class initialization does the work
        }
    }

    /** Row-major float data as an ND4J double matrix. */
    public static INDArray matrix(float[] data, int rows, int cols) {
        Threads.ensure();
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = data[i];
        }
        return Nd4j.create(d, new long[] {rows, cols}, 'c');
    }

    /**
     * Best rank-{@code k} approximation of {@code bc @ ac} (bc [out, r], ac [r, in], double). The
     * singular values are split evenly between the factors (b = Q_b U sqrt(S), a = sqrt(S) V^T Q_a^T).
     */
    public static Factors truncate(INDArray bc, INDArray ac, int k) {
        Threads.ensure();
        int out = (int) bc.rows();
        int in = (int) ac.columns();
        if (bc.columns() == 0) {
            return Factors.zero(in, out);
        }
        INDArray[] fb = gramFactor(bc);
        INDArray[] fa = gramFactor(ac.transpose());
        if (fb == null || fa == null) {
            return new Factors(0, in, out, new float[0], new float[0], 1.0, new double[0]);
        }
        INDArray[] usv = svd(fb[1].mmul(fa[1].transpose())); // the core, [pb, pa]
        double[] sv = usv[1].toDoubleVector();
        int kk = Math.min(k, sv.length);
        INDArray root = sqrtOf(sv, kk);
        // b = Bc Wb U_k sqrt(S_k), a = sqrt(S_k) Vt_k Wa^T Ac: small matrices first, one GEMM with each big factor
        INDArray b = bc.mmul(fb[0].mmul(usv[0].get(NDArrayIndex.all(), NDArrayIndex.interval(0, kk))).mulRowVector(root));
        INDArray a = usv[2].get(NDArrayIndex.interval(0, kk), NDArrayIndex.all()).mulColumnVector(root.reshape(kk, 1))
                .mmul(fa[0].transpose()).mmul(ac);
        return new Factors(kk, in, out, toFloats(a), toFloats(b), retained(sv, kk), sv);
    }

    /**
     * Rank-{@code k} approximation of a dense [out, in] matrix (row-major float), randomized for large
     * matrices (seeded, so deterministic). Retained energy is relative to the full matrix's norm.
     */
    public static Factors dense(float[] d, int out, int in, int k, long seed) {
        Threads.ensure();
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
        INDArray q = orthonormal(x.mmul(Nd4j.createFromArray(omega).reshape('c', in, l)).castTo(DataType.DOUBLE));
        for (int it = 0; it < POWER_ITERATIONS && q != null; it++) {
            INDArray z = orthonormal(x.transpose().mmul(q.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE));
            q = z == null ? null : orthonormal(x.mmul(z.castTo(DataType.FLOAT)).castTo(DataType.DOUBLE));
        }
        if (q == null) {
            return new Factors(0, in, out, new float[0], new float[0], 0.0, new double[0]);
        }
        INDArray small = q.castTo(DataType.FLOAT).transpose().mmul(x).castTo(DataType.DOUBLE); // [l, in], X ~ Q small
        // small = U S V^T from small small^T = U S^2 U^T: b = Q U_k sqrt(S_k), a = S_k^(-1/2) U_k^T small
        INDArray[] e = svd(small.mmul(small.transpose()));
        double[] s2 = e[1].toDoubleVector();
        int kk = 0;
        while (kk < Math.min(k, s2.length) && s2[kk] > 1e-14 * s2[0]) {
            kk++;
        }
        double[] sv = new double[s2.length];
        for (int i = 0; i < sv.length; i++) {
            sv[i] = Math.sqrt(Math.max(s2[i], 0));
        }
        if (kk == 0) {
            return new Factors(0, in, out, new float[0], new float[0], 0.0, sv);
        }
        INDArray uk = e[0].get(NDArrayIndex.all(), NDArrayIndex.interval(0, kk));
        INDArray root = sqrtOf(sv, kk);
        INDArray inv = Nd4j.createFromArray(java.util.Arrays.stream(sv, 0, kk).map(v -> 1 / Math.sqrt(v)).toArray());
        INDArray b = q.mmul(uk.mulRowVector(root));
        INDArray a = uk.transpose().mulColumnVector(inv.reshape(kk, 1)).mmul(small);
        double kept = 0;
        for (int i = 0; i < kk; i++) {
            kept += s2[i];
        }
        return new Factors(kk, in, out, toFloats(a), toFloats(b), Math.min(1.0, kept / total), sv);
    }

    /**
     * An exact factorization of a dense [out, in] matrix at rank min(out, in): the matrix itself as
     * one factor and the identity as the other ({@code b = d, a = I} when in <= out, else
     * {@code b = I, a = d}), so that {@code b a} is {@code d} bit for bit and no SVD is needed. A
     * matrix whose entries were trimmed or dropped element-wise is numerically full rank, so this is
     * the rank an exact low-rank form of it needs. Rank 0 for a zero matrix.
     */
    public static Factors exact(float[] d, int out, int in) {
        boolean zero = true;
        for (float v : d) {
            if (v != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return Factors.zero(in, out);
        }
        int r = Math.min(out, in);
        float[] eye = new float[r * r];
        for (int i = 0; i < r; i++) {
            eye[i * r + i] = 1f;
        }
        float[] copy = d.clone();
        return in <= out ? new Factors(r, in, out, eye, copy, 1.0, new double[0]) : new Factors(r, in, out, copy, eye, 1.0, new double[0]);
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

    /**
     * For an [m, n] matrix M: {W [n, p], R [p, n]} with M = (M W) R and M W orthonormal columns, from the
     * eigen-decomposition of the n x n Gram matrix M^T M (one GEMM instead of a tall QR; directions with
     * eigenvalue below 1e-14 of the largest carry no energy and are dropped). Null for a zero matrix.
     */
    static INDArray[] gramFactor(INDArray m) {
        INDArray[] e = svd(m.transpose().mmul(m));
        double[] lambda = e[1].toDoubleVector();
        int p = 0;
        while (p < lambda.length && lambda[p] > 1e-14 * lambda[0]) {
            p++;
        }
        if (p == 0) {
            return null;
        }
        INDArray v = e[0].get(NDArrayIndex.all(), NDArrayIndex.interval(0, p));
        INDArray root = sqrtOf(lambda, p);
        INDArray inv = Nd4j.createFromArray(java.util.Arrays.stream(lambda, 0, p).map(x -> 1 / Math.sqrt(x)).toArray());
        return new INDArray[] {v.mulRowVector(inv), v.transpose().mulColumnVector(root.reshape(p, 1))};
    }

    /** M W with orthonormal columns spanning M's column space (null for a zero matrix). */
    static INDArray orthonormal(INDArray m) {
        INDArray[] f = gramFactor(m);
        return f == null ? null : m.mmul(f[0]);
    }

    private static INDArray sqrtOf(double[] v, int n) {
        return Nd4j.createFromArray(java.util.Arrays.stream(v, 0, n).map(x -> Math.sqrt(Math.max(x, 0))).toArray());
    }

    private static double retained(double[] sv, int k) {
        double kept = 0;
        double total = 0;
        for (int i = 0; i < sv.length; i++) {
            total += sv[i] * sv[i];
            kept += i < k ? sv[i] * sv[i] : 0;
        }
        return total == 0 ? 1.0 : Math.min(1.0, kept / total);
    }

    /** A module's dense delta {@code scale * B A} ([out, in], row-major float32) by one float GEMM. */
    public static float[] denseDelta(LoraModule m) {
        if (m.rank() == 0) {
            return new float[m.out() * m.in()];
        }
        Threads.ensure();
        INDArray b = Nd4j.createFromArray(m.b()).reshape('c', m.out(), m.rank());
        INDArray a = Nd4j.createFromArray(m.a()).reshape('c', m.rank(), m.in());
        // straight into a row-major result with the scale as GEMM's alpha: mmul gives column-major, whose
        // transposing dup('c') cost more than the product itself
        INDArray d = Nd4j.createUninitialized(DataType.FLOAT, new long[] {m.out(), m.in()}, 'c');
        Nd4j.gemm(b, a, d, false, false, m.scale(), 0.0);
        return d.data().asFloat();
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
