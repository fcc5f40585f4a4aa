package io.laem.engine.merge.redundancy;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.linalg.Selection;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.model.ModuleKey;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Strategies that act on the full deltas of one module (all tasks of that module at once, never
 * more: peak memory is one module's deltas), then factorize each result: exactly at rank
 * min(out, in) when no rank is given ({@link LowRank#exact}: a trimmed or dropped delta is
 * numerically full rank, so any lower rank loses energy), else re-factorized to the given rank.
 * A task whose delta the strategy left unchanged keeps its own factors when they fit. Also the
 * element-wise building blocks, public so the baseline merge methods share them.
 */
public abstract class ElementWise implements RedundancyStrategy {
    /** mergekit's tolerance below which a norm is not rescaled to. */
    private static final double L1_EPS = 1e-7;

    /** Modifies the dense deltas ([task][out*in]) in place. */
    protected abstract void sparsify(float[][] deltas, Redundancy p, long seed);

    @Override
    public final List<Result> apply(ModuleKey key, List<LoraModule> tasks, Redundancy params, int rank) {
        float[][] deltas = new float[tasks.size()][];
        float[][] before = new float[tasks.size()][];
        for (int t = 0; t < deltas.length; t++) {
            deltas[t] = LowRank.denseDelta(tasks.get(t));
            before[t] = deltas[t].clone();
        }
        long seed = moduleSeed(params.seed(), key);
        sparsify(deltas, params, seed);
        List<Result> out = new ArrayList<>();
        for (int t = 0; t < deltas.length; t++) {
            LoraModule m = tasks.get(t);
            boolean unchanged = java.util.Arrays.equals(before[t], deltas[t]);
            before[t] = null;
            if (unchanged && (rank == 0 || rank >= m.rank())) {
                out.add(new Result(m, 1.0));
            } else {
                Factors f = rank == 0 ? LowRank.exact(deltas[t], m.out(), m.in())
                        : LowRank.dense(deltas[t], m.out(), m.in(), rank, seed + t);
                out.add(new Result(new LoraModule(key, f.rank(), m.in(), m.out(), f.a(), f.b(), 1.0), f.retainedEnergy()));
            }
            deltas[t] = null;
        }
        return out;
    }

    /** The dense de-redundant deltas, before any factorization: what {@link #apply} at rank 0 holds exactly. */
    @Override
    public final List<float[]> exactDeltas(ModuleKey key, List<LoraModule> tasks, Redundancy params) {
        float[][] deltas = new float[tasks.size()][];
        for (int t = 0; t < deltas.length; t++) {
            deltas[t] = LowRank.denseDelta(tasks.get(t));
        }
        sparsify(deltas, params, moduleSeed(params.seed(), key));
        return java.util.Arrays.asList(deltas);
    }

    /** A seed per module so that results do not depend on the order modules are processed in. */
    public static long moduleSeed(long seed, ModuleKey key) {
        return new SplittableRandom(seed * 1_000_003L + key.layer() * 31L + key.kind().ordinal()).nextLong();
    }

    /**
     * Keeps the {@code floor(density * n)} entries of largest magnitude (mergekit's "magnitude"
     * sparsification, TIES' trim step); ties at the threshold are kept in index order.
     */
    public static void keepTopK(float[] x, double density) {
        if (density >= 1) {
            return;
        }
        int k = (int) (density * x.length);
        if (k <= 0) {
            java.util.Arrays.fill(x, 0f);
            return;
        }
        float thr = Selection.kthLargestMagnitude(x, k);
        int above = 0;
        for (float v : x) {
            if (Math.abs(v) > thr) {
                above++;
            }
        }
        int equalBudget = k - above;
        for (int i = 0; i < x.length; i++) {
            float a = Math.abs(x[i]);
            if (a < thr || (a == thr && equalBudget-- <= 0)) {
                x[i] = 0f;
            }
        }
    }

    /**
     * DARE (Yu et al. 2023): each entry is kept with probability {@code density} (seeded Bernoulli)
     * and kept entries are rescaled by 1/density.
     */
    public static void dropAndRescale(float[] x, double density, long seed) {
        dropAndRescale(x, density, seed, Redundancy.Rescale.DENSITY);
    }

    /**
     * DARE's drop (seeded Bernoulli, keep probability {@code density}) with the given rescale: by
     * 1/density, or by the ratio of the L1 norms before and after the drop as mergekit's
     * {@code rescaled_masked_tensor} with {@code RescaleNorm.l1} (no rescale when either norm is below
     * 1e-7, as there). The same entries are kept either way.
     */
    public static void dropAndRescale(float[] x, double density, long seed, Redundancy.Rescale rescale) {
        if (density >= 1) {
            return;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        if (rescale == Redundancy.Rescale.L1) {
            double before = 0;
            double after = 0;
            for (int i = 0; i < x.length; i++) {
                before += Math.abs(x[i]);
                if (rnd.nextDouble() < density) {
                    after += Math.abs(x[i]);
                } else {
                    x[i] = 0f;
                }
            }
            if (before >= L1_EPS && after >= L1_EPS) {
                double scale = before / after;
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (x[i] * scale);
                }
            }
            return;
        }
        float scale = (float) (1.0 / density);
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextDouble() < density ? x[i] * scale : 0f;
        }
    }

    /**
     * TIES sign election (Yadav et al. 2023; mergekit's get_mask): per entry the elected sign is that
     * of the weighted sum ("total") or of the weighted count of signs ("frequency"), +1 on a tie;
     * entries of another sign (and zeros) are dropped. With {@code disjointMean}, each kept entry is
     * divided by the total weight of the tasks kept at that entry, so that the weighted sum of the
     * results is TIES' disjoint mean. Weights scale the votes as in mergekit (votes of weighted deltas).
     */
    public static void electSign(float[][] x, double[] weights, Redundancy.Sign sign, boolean disjointMean) {
        int n = x[0].length;
        boolean total = sign == Redundancy.Sign.TOTAL;
        for (int i = 0; i < n; i++) {
            double vote = 0;
            for (int t = 0; t < x.length; t++) {
                double v = weights[t] * x[t][i];
                vote += total ? v : Math.signum(v);
            }
            boolean positive = vote >= 0;
            double divisor = 0;
            for (int t = 0; t < x.length; t++) {
                double v = weights[t] * x[t][i];
                if (positive ? v > 0 : v < 0) {
                    divisor += weights[t];
                } else {
                    x[t][i] = 0f;
                }
            }
            if (disjointMean && divisor != 0 && divisor != 1) {
                for (float[] xt : x) {
                    xt[i] = (float) (xt[i] / divisor);
                }
            }
        }
    }

    /** Unit weights for {@code n} tasks. */
    static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }
}
