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
public final class OptimizeSettings implements Cloneable {
    /** Which defaults apply: chosen by the model's size ({@link ModelScale}), or forced. */
    public enum Scale {
        AUTO, SMALL, LARGE;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Scale parse(String s) {
            for (Scale x : values()) {
                if (x.id().equalsIgnoreCase(s.trim())) {
                    return x;
                }
            }
            throw new LaemException("unknown --scale '" + s + "' (expected auto, small or large)");
        }
    }

    private Scale scale = Scale.AUTO;
    /** Settings given explicitly (the size rule changes only the others). */
    private java.util.Set<String> explicit = new java.util.HashSet<>();
    /** Validation examples per task the baselines are tuned on (0: all). */
    private int baselineExamples = 0;
    /** Gradient method: examples per task in one Adam step (0: all, the exact gradient of the whole objective). */
    private int minibatch = 0;
    /** Training examples per task added to the objective's data after the validation examples (0: none). */
    private int trainExamples = 0;
    private Parameterization.Spec param = Parameterization.Spec.of(Parameterization.Kind.PER_LAYER_MODULE);
    private SearchMethod method = SearchMethod.GRADIENT;
    private int budget = 150;
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
    private int racingPieces = 4;
    private boolean compareBaselines = true;
    private WarmStart warmStart = WarmStart.TASK_ARITHMETIC;

    /** Where a search starts. */
    public enum WarmStart {
        /** The recipe's weights (the workbench's current weights). */
        RECIPE,
        /** Task arithmetic at the scale tuned on validation (the strongest simple baseline; a shared module at the same scale). */
        TASK_ARITHMETIC;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public WarmStart warmStart() {
        return warmStart;
    }

    public OptimizeSettings warmStart(WarmStart w) {
        this.warmStart = java.util.Objects.requireNonNull(w);
        return this;
    }

    /** {@code recipe | task-arithmetic}. */
    public OptimizeSettings warmStart(String w) {
        for (WarmStart s : WarmStart.values()) {
            if (s.id().equalsIgnoreCase(w.trim())) {
                return warmStart(s);
            }
        }
        throw new LaemException("unknown --warm-start '" + w + "' (expected recipe or task-arithmetic)");
    }
    private double learningRate = 0.1;
    private io.laem.engine.infer.Scorer.Term objective = io.laem.engine.infer.Scorer.Term.SEQUENCE;
    private double racingMargin = 0;
    private String device = "cpu";

    public Parameterization.Spec param() {
        return param;
    }

    public OptimizeSettings param(Parameterization.Spec p) {
        explicit.add("param");
        this.param = java.util.Objects.requireNonNull(p);
        return this;
    }

    /** {@code per-task | curve:K | per-layer | per-layer-kind | per-layer-module}. */
    public OptimizeSettings param(String p) {
        return param(Parameterization.Spec.parse(p));
    }

    public SearchMethod method() {
        return method;
    }

    public OptimizeSettings method(SearchMethod m) {
        explicit.add("method");
        this.method = m;
        return this;
    }

    public int budget() {
        return budget;
    }

    public OptimizeSettings budget(int evaluations) {
        explicit.add("budget");
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

    /** Densities tried for the TIES and DARE-TIES baselines (the best on validation is reported; none: neither is tuned nor compared). */
    public OptimizeSettings tiesDensities(List<Double> d) {
        explicit.add("tiesDensities");
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
        explicit.add("taskArithmeticScales");
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

    public double learningRate() {
        return learningRate;
    }

    /** Gradient method: Adam's step size in the search vector's units. */
    public OptimizeSettings learningRate(double lr) {
        explicit.add("learningRate");
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new LaemException("--learning-rate must be a finite number > 0, got " + lr);
        }
        this.learningRate = lr;
        return this;
    }

    public io.laem.engine.infer.Scorer.Term objective() {
        return objective;
    }

    /** What each task's loss averages: the completion's NLL (default) or the predictions' entropy (AdaMerging, no labels). */
    public OptimizeSettings objective(io.laem.engine.infer.Scorer.Term t) {
        this.objective = java.util.Objects.requireNonNull(t);
        return this;
    }

    /** {@code nll | entropy}. */
    public OptimizeSettings objective(String t) {
        for (io.laem.engine.infer.Scorer.Term term : io.laem.engine.infer.Scorer.Term.values()) {
            if (term.name().equalsIgnoreCase(t.trim())) {
                return objective(term);
            }
        }
        throw new LaemException("unknown --objective '" + t + "' (expected nll, sequence or entropy)");
    }

    public boolean compareBaselines() {
        return compareBaselines;
    }

    /** Whether the test comparison scores the baselines and adapters too (false: the found weights only; the others do not depend on the seed). */
    public OptimizeSettings compareBaselines(boolean b) {
        this.compareBaselines = b;
        return this;
    }

    public int racingPieces() {
        return racingPieces;
    }

    /** Racing: pieces each task's validation examples are dealt into (>= 2). */
    public OptimizeSettings racingPieces(int n) {
        if (n < 2) {
            throw new LaemException("--racing-pieces must be at least 2, got " + n);
        }
        this.racingPieces = n;
        return this;
    }

    public double racingMargin() {
        return racingMargin;
    }

    /** Racing: drop a candidate whose partial value exceeds the incumbent's on the same pieces by more than this fraction. */
    public OptimizeSettings racingMargin(double fraction) {
        if (!(fraction >= 0) || Double.isInfinite(fraction)) {
            throw new LaemException("--racing-margin must be a finite number >= 0, got " + fraction);
        }
        this.racingMargin = fraction;
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
        explicit.add("threads");
        this.threads = Math.max(0, n);
        return this;
    }

    public String device() {
        return device;
    }

    public Scale scale() {
        return scale;
    }

    /** {@code auto} (by the model's size, {@link ModelScale}), {@code small} (the demo kit's defaults) or {@code large}. */
    public OptimizeSettings scale(Scale s) {
        this.scale = java.util.Objects.requireNonNull(s);
        return this;
    }

    public int baselineExamples() {
        return baselineExamples;
    }

    /** Validation examples per task the baselines are tuned on (0: all). */
    public OptimizeSettings baselineExamples(int n) {
        explicit.add("baselineExamples");
        this.baselineExamples = Math.max(0, n);
        return this;
    }

    public int minibatch() {
        return minibatch;
    }

    public int trainExamples() {
        return trainExamples;
    }

    /**
     * The first N examples of each task's train split join its validation examples in the objective (tasks without a
     * train split: none): more data for the weights to fit, as LoRA Soups/CAT fit theirs on training data.
     */
    public OptimizeSettings trainExamples(int n) {
        explicit.add("trainExamples");
        this.trainExamples = Math.max(0, n);
        return this;
    }

    /** Gradient method: validation examples per task in each Adam step, taken in turn (0: all of them, the exact gradient). */
    public OptimizeSettings minibatch(int n) {
        explicit.add("minibatch");
        this.minibatch = Math.max(0, n);
        return this;
    }

    /**
     * These settings for a model of {@code scale} (SMALL or LARGE): a copy in which every setting the size rule covers
     * and that was not set explicitly takes the large-model default ({@link ModelScale}); SMALL: a copy as they are.
     */
    public OptimizeSettings forScale(Scale resolved) {
        OptimizeSettings c;
        try {
            c = (OptimizeSettings) clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
        c.explicit = new java.util.HashSet<>(explicit);
        c.scale = resolved;
        if (resolved != Scale.LARGE) {
            return c;
        }
        ModelScale.Defaults d = ModelScale.LARGE;
        if (!explicit.contains("method")) {
            c.method = d.method();
        }
        if (!explicit.contains("budget")) {
            c.budget = d.budget();
        }
        if (!explicit.contains("threads")) {
            c.threads = Runtime.getRuntime().availableProcessors();
        }
        if (!explicit.contains("tiesDensities")) {
            c.tiesDensities = List.of();
        }
        if (!explicit.contains("taskArithmeticScales")) {
            c.taskArithmeticScales = d.taskArithmeticScales();
        }
        if (!explicit.contains("baselineExamples")) {
            c.baselineExamples = d.baselineExamples();
        }
        if (!explicit.contains("minibatch")) {
            c.minibatch = d.minibatch();
        }
        if (!explicit.contains("learningRate")) {
            c.learningRate = d.learningRate();
        }
        if (!explicit.contains("param")) {
            c.param = d.param();
        }
        return c;
    }

    /** {@code auto | cpu | gpu}, as {@code laem generate --device}. */
    public OptimizeSettings device(String d) {
        this.device = d;
        return this;
    }
}
