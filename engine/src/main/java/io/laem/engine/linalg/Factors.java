package io.laem.engine.linalg;

/**
 * A low-rank factorization {@code b @ a} of a matrix ({@code b} [out, rank], {@code a} [rank, in],
 * row-major float32) with the share of the matrix's energy (squared Frobenius norm) it keeps and
 * the singular values it was cut from (descending; all of them, kept or not).
 */
public record Factors(int rank, int in, int out, float[] a, float[] b, double retainedEnergy, double[] singularValues) {
    public static Factors zero(int in, int out) {
        return new Factors(0, in, out, new float[0], new float[0], 1.0, new double[0]);
    }
}
