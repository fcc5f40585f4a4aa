package io.laem.engine.route;

import io.laem.engine.LaemException;
import io.laem.engine.progress.CancellationToken;
import java.util.List;

/**
 * Trains the router on domain labels (the MoA paper's explicit routing with domain labels, as a
 * sequence-level classifier): multinomial logistic regression on standardized features, full-batch
 * gradient descent with Adam and L2, deterministic (zero initialisation, no sampling).
 */
public final class RouterTrainer {
    /** Iterations, Adam step size, L2 strength. */
    public record Options(int iterations, double learningRate, double l2) {
        public static Options defaults() {
            return new Options(400, 0.05, 1e-3);
        }
    }

    private RouterTrainer() {}

    public static Router train(List<String> labelNames, float[][] x, int[] y, Options o, CancellationToken cancel) {
        int n = x.length;
        if (n == 0 || y.length != n) {
            throw new LaemException("router training needs at least one labelled prompt");
        }
        int f = x[0].length;
        int k = labelNames.size();
        float[] mean = new float[f];
        float[] std = new float[f];
        for (float[] row : x) {
            for (int j = 0; j < f; j++) {
                mean[j] += row[j] / n;
            }
        }
        for (float[] row : x) {
            for (int j = 0; j < f; j++) {
                double d = row[j] - mean[j];
                std[j] += (float) (d * d / n);
            }
        }
        for (int j = 0; j < f; j++) {
            std[j] = (float) Math.sqrt(std[j] + 1e-6);
        }
        double[][] z = new double[n][f];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) {
                z[i][j] = (x[i][j] - mean[j]) / std[j];
            }
        }
        int p = k * f + k;
        double[] w = new double[p];
        double[] m = new double[p];
        double[] v = new double[p];
        double[] g = new double[p];
        for (int it = 1; it <= o.iterations(); it++) {
            cancel.check();
            java.util.Arrays.fill(g, 0);
            for (int i = 0; i < n; i++) {
                double[] logits = new double[k];
                for (int c = 0; c < k; c++) {
                    double s = w[k * f + c];
                    for (int j = 0; j < f; j++) {
                        s += w[c * f + j] * z[i][j];
                    }
                    logits[c] = s;
                }
                double[] prob = Router.softmax(logits);
                for (int c = 0; c < k; c++) {
                    double d = (prob[c] - (y[i] == c ? 1 : 0)) / n;
                    for (int j = 0; j < f; j++) {
                        g[c * f + j] += d * z[i][j];
                    }
                    g[k * f + c] += d;
                }
            }
            for (int q = 0; q < k * f; q++) {
                g[q] += o.l2() * w[q];
            }
            for (int q = 0; q < p; q++) {
                m[q] = 0.9 * m[q] + 0.1 * g[q];
                v[q] = 0.999 * v[q] + 0.001 * g[q] * g[q];
                double mh = m[q] / (1 - Math.pow(0.9, it));
                double vh = v[q] / (1 - Math.pow(0.999, it));
                w[q] -= o.learningRate() * mh / (Math.sqrt(vh) + 1e-8);
            }
        }
        float[] weight = new float[k * f];
        float[] bias = new float[k];
        for (int q = 0; q < k * f; q++) {
            weight[q] = (float) w[q];
        }
        for (int c = 0; c < k; c++) {
            bias[c] = (float) w[k * f + c];
        }
        return new Router(List.copyOf(labelNames), mean, std, weight, bias);
    }
}
