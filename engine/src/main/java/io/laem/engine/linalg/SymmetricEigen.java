package io.laem.engine.linalg;

/**
 * Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations, in double precision: for the
 * r x r cores of rank-space analysis (r up to a few hundred), where a native library call costs more than the work.
 */
public final class SymmetricEigen {
    /** Eigenvalues (descending) and the matching eigenvectors as the columns of {@code vectors} [n, n], row-major. */
    public record Result(double[] values, double[] vectors) {}

    private static final int MAX_SWEEPS = 60;

    private SymmetricEigen() {}

    /** The decomposition of the symmetric {@code n x n} matrix {@code m} (row-major; only read). */
    public static Result of(double[] m, int n) {
        double[] a = m.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double diag = 0;
            for (int p = 0; p < n; p++) {
                diag += a[p * n + p] * a[p * n + p];
                for (int q = p + 1; q < n; q++) {
                    off += a[p * n + q] * a[p * n + q];
                }
            }
            if (off <= 1e-30 * diag || off == 0) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    if (apq == 0) {
                        continue;
                    }
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) { // columns p, q of A
                        double akp = a[k * n + p];
                        double akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) { // rows p, q of A
                        double apk = a[p * n + k];
                        double aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p];
                        double vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] diagonal = new double[n];
        for (int i = 0; i < n; i++) {
            diagonal[i] = a[i * n + i];
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(diagonal[y], diagonal[x]));
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int j = 0; j < n; j++) {
            values[j] = diagonal[order[j]];
            for (int k = 0; k < n; k++) {
                vectors[k * n + j] = v[k * n + order[j]];
            }
        }
        return new Result(values, vectors);
    }

    /**
     * Singular values (descending) of a product {@code B A} given only its r x r Gram matrices {@code gb = B^T B} and
     * {@code ga = A A^T}: the square roots of the eigenvalues of {@code ga^(1/2) gb ga^(1/2)}, which has the non-zero
     * eigenvalues of {@code (BA)^T (BA)}. Relative precision of the smallest values is about 1e-8 of the largest
     * (the Gram matrices square the condition number), plenty for energy shares.
     */
    public static double[] singularValuesOfProduct(double[] gb, double[] ga, int r) {
        Result e = of(ga, r);
        double[] half = new double[r * r]; // ga^(1/2) = V sqrt(L) V^T
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int k = 0; k < r; k++) {
                    s += e.vectors()[i * r + k] * Math.sqrt(Math.max(e.values()[k], 0)) * e.vectors()[j * r + k];
                }
                half[i * r + j] = s;
            }
        }
        double[] core = multiply(multiply(half, gb, r), half, r);
        for (int i = 0; i < r; i++) { // symmetric up to rounding: make it exactly so
            for (int j = i + 1; j < r; j++) {
                double m = (core[i * r + j] + core[j * r + i]) / 2;
                core[i * r + j] = m;
                core[j * r + i] = m;
            }
        }
        double[] values = of(core, r).values();
        double[] sv = new double[r];
        for (int i = 0; i < r; i++) {
            sv[i] = Math.sqrt(Math.max(values[i], 0));
        }
        return sv;
    }

    private static double[] multiply(double[] x, double[] y, int n) {
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double xik = x[i * n + k];
                for (int j = 0; j < n; j++) {
                    out[i * n + j] += xik * y[k * n + j];
                }
            }
        }
        return out;
    }
}
