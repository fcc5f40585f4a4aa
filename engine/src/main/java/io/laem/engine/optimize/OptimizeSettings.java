package io.laem.engine.optimize;

import io.laem.engine.LaemException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of {@code laem optimize} and the workbench's optimizer; the defaults are the best found
 * on the demo kit (docs/optimizer.md). Fluent setters; plans are given as {@link PlanOption} specs
 * ({@code recipe} is the recipe's own redundancy/shared setting).
 */
public final class OptimizeSettings {
    private Parameterization.Spec param = Parameterization.Spec.curve(2);
    private SearchMethod method = SearchMethod.CMA_ES;
    private int budget = 300;
    private long seed = 0;
    private double sigma = 0.25;
    private int population = -1;
    private double lower = Parameterization.DEFAULT_LOWER;
    private double upper = Parameterization.DEFAULT_UPPER;
    private double l1 = 0;
    private double floorFraction = 0;
    private double floorPenalty = 0;
    private Map<String, Double> taskWeights = Map.of();
    private String plans = "recipe+consensus:8";
    private List<Double> tiesDensities = List.of(0.2, 0.5, 0.8);
    private List<Double> taskArithmeticScales = List.of(0.25, 0.5, 0.75, 1.0);
    private String validationSplit = "validation";
    private String testSplit = "test";
    private int maxExamples = 0;
    private int testExamples = 0;
    private int threads = 1;
    private String device = "cpu";

    public Parameterization.Spec param() {
        return param;
    }

    public OptimizeSettings param(Parameterization.Spec p) {
        this.param = java.util.Objects.requireNonNull(p);
        return this;
    }

    /** {@code per-task | curve:K | per-layer | per-layer-kind}. */
    public OptimizeSettings param(String p) {
        return param(Parameterization.Spec.parse(p));
    }

    public SearchMethod method() {
        return method;
    }

    public OptimizeSettings method(SearchMethod m) {
        this.method = m;
        return this;
    }

    public int budget() {
        return budget;
    }

    public OptimizeSettings budget(int evaluations) {
        if (evaluations < 1) {
            throw new LaemException("--budget must be at least 1, got " + evaluations);
        }
        this.budget = evaluations;
        return this;
    }

    public long seed() {
        return seed;
    }

    public OptimizeSettings seed(long s) {
        this.seed = s;
        return this;
    }

    public double sigma() {
        return sigma;
    }

    /** CMA-ES initial step (<= 0: a fifth of the bounds' width). */
    public OptimizeSettings sigma(double s) {
        if (!Double.isFinite(s)) {
            throw new LaemException("--sigma must be a finite number, got " + s);
        }
        this.sigma = s;
        return this;
    }

    public int population() {
        return population;
    }

    /** CMA-ES population (<= 0: 4 + floor(3 ln d)). */
    public OptimizeSettings population(int p) {
        this.population = p;
        return this;
    }

    public double lower() {
        return lower;
    }

    public double upper() {
        return upper;
    }

    public OptimizeSettings bounds(double lo, double hi) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new LaemException("--bounds must be finite numbers, got " + lo + "," + hi);
        }
        if (!(lo < hi)) {
            throw new LaemException("--bounds: lower " + lo + " must be below upper " + hi);
        }
        this.lower = lo;
        this.upper = hi;
        return this;
    }

    public double l1() {
        return l1;
    }

    /** L1 pull toward the warm-start weights (LoraHub uses 0.05 toward zero). */
    public OptimizeSettings l1(double strength) {
        if (!(strength >= 0) || !Double.isFinite(strength)) {
            throw new LaemException("--l1 must be >= 0, got " + strength);
        }
        this.l1 = strength;
        return this;
    }

    public double floorFraction() {
        return floorFraction;
    }

    public double floorPenalty() {
        return floorPenalty;
    }

    /** Penalize tasks whose per-token likelihood falls below {@code fraction} of their own adapter's (0: off). */
    public OptimizeSettings floor(double fraction, double penalty) {
        if (!(fraction >= 0 && fraction <= 1) || !(penalty >= 0) || !Double.isFinite(penalty)) {
            throw new LaemException("--floor: fraction must be in [0, 1] and penalty a finite number >= 0, got " + fraction + "," + penalty);
        }
        this.floorFraction = fraction;
        this.floorPenalty = penalty;
        return this;
    }

    public Map<String, Double> taskWeights() {
        return taskWeights;
    }

    public OptimizeSettings taskWeights(Map<String, Double> w) {
        w.forEach((task, x) -> {
            if (x == null || !Double.isFinite(x) || x < 0) {
                throw new LaemException("--task-weight " + task + "=" + x + ": a task's weight must be a finite number >= 0");
            }
        });
        this.taskWeights = Map.copyOf(new LinkedHashMap<>(w));
        return this;
    }

    public String plans() {
        return plans;
    }

    /** Comma-separated {@link PlanOption} specs searched together with the weights. */
    public OptimizeSettings plans(String specs) {
        this.plans = specs;
        return this;
    }

    public List<Double> tiesDensities() {
        return tiesDensities;
    }

    /** Densities tried for the TIES baseline (the best on validation is reported). */
    public OptimizeSettings tiesDensities(List<Double> d) {
        d.forEach(x -> {
            if (!(x > 0 && x <= 1)) {
                throw new LaemException("TIES density must be in (0, 1], got " + x);
            }
        });
        this.tiesDensities = List.copyOf(d);
        return this;
    }

    public List<Double> taskArithmeticScales() {
        return taskArithmeticScales;
    }

    public OptimizeSettings taskArithmeticScales(List<Double> s) {
        s.forEach(x -> {
            if (!Double.isFinite(x)) {
                throw new LaemException("task arithmetic scale must be a finite number, got " + x);
            }
        });
        this.taskArithmeticScales = List.copyOf(s);
        return this;
    }

    public String validationSplit() {
        return validationSplit;
    }

    public String testSplit() {
        return testSplit;
    }

    public OptimizeSettings splits(String validation, String test) {
        this.validationSplit = validation;
        this.testSplit = test;
        return this;
    }

    public int maxExamples() {
        return maxExamples;
    }

    /** At most this many validation examples per task (0: all). */
    public OptimizeSettings maxExamples(int n) {
        this.maxExamples = Math.max(0, n);
        return this;
    }

    public int testExamples() {
        return testExamples;
    }

    /** At most this many test examples per task in the comparison (0: all). */
    public OptimizeSettings testExamples(int n) {
        this.testExamples = Math.max(0, n);
        return this;
    }

    public int threads() {
        return threads;
    }

    /**
     * PyTorch intra-op threads during evaluations (0: leave as is). One is fastest for the demo
     * kit's small matrices, and far faster than several threads on a busy machine.
     */
    public OptimizeSettings threads(int n) {
        this.threads = Math.max(0, n);
        return this;
    }

    public String device() {
        return device;
    }

    /** {@code auto | cpu | gpu}, as {@code laem generate --device}. */
    public OptimizeSettings device(String d) {
        this.device = d;
        return this;
    }
}
