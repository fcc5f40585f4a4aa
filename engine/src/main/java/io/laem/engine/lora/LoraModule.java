package io.laem.engine.lora;

import io.laem.engine.model.ModuleKey;

/**
 * One module's LoRA factors: {@code a} is [rank, in] and {@code b} is [out, rank], both row-major
 * float32; the module's delta is {@code scale * b @ a} ([out, in]).
 */
public record LoraModule(ModuleKey key, int rank, int in, int out, float[] a, float[] b, double scale) {
    public LoraModule {
        if (a.length != rank * in || b.length != out * rank) {
            throw new IllegalArgumentException(key + ": factor sizes do not match rank " + rank);
        }
    }

    /**
     * Frobenius norm of {@code scale * B A} without forming it: ||BA||^2 = trace((A A^T)(B^T B)),
     * two r x r Gram matrices.
     */
    public double deltaNorm() {
        double[] ga = gram(a, rank, in, true);
        double[] gb = gram(b, out, rank, false);
        double tr = 0;
        for (int i = 0; i < rank * rank; i++) {
            tr += ga[i] * gb[i];
        }
        return Math.abs(scale) * Math.sqrt(Math.max(tr, 0));
    }

    /** Rows x cols matrix m: rowGram gives m m^T (rows x rows), otherwise m^T m (cols x cols). */
    static double[] gram(float[] m, int rows, int cols, boolean rowGram) {
        int n = rowGram ? rows : cols;
        double[] g = new double[n * n];
        if (rowGram) {
            for (int i = 0; i < rows; i++) {
                for (int j = i; j < rows; j++) {
                    double s = 0;
                    for (int k = 0; k < cols; k++) {
                        s += (double) m[i * cols + k] * m[j * cols + k];
                    }
                    g[i * n + j] = s;
                    g[j * n + i] = s;
                }
            }
        } else {
            for (int k = 0; k < rows; k++) {
                int row = k * cols;
                for (int i = 0; i < cols; i++) {
                    double mi = m[row + i];
                    for (int j = i; j < cols; j++) {
                        g[i * n + j] += mi * m[row + j];
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) {
                    g[i * n + j] = g[j * n + i];
                }
            }
        }
        return g;
    }

    /** The dense delta {@code scale * B A} ([out, in], row-major), accumulated in double. For tests and small modules only. */
    public float[] denseDelta() {
        float[] d = new float[Math.multiplyExact(out, in)];
        double[] row = new double[in];
        for (int o = 0; o < out; o++) {
            java.util.Arrays.fill(row, 0);
            for (int k = 0; k < rank; k++) {
                double bk = b[o * rank + k];
                int ak = k * in;
                for (int i = 0; i < in; i++) {
                    row[i] += bk * a[ak + i];
                }
            }
            for (int i = 0; i < in; i++) {
                d[o * in + i] = (float) (scale * row[i]);
            }
        }
        return d;
    }
}
