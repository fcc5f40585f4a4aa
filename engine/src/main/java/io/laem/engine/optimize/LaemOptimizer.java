package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.Devices;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.infer.Scorer;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.Json;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.PlanMerger;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * LAEM end to end on the live merge: holds the model for the whole run (one {@link LiveMerge.Use}),
 * builds each merge plan once (the plain adapters, the TIES baselines, the plans searched) into the
 * live merge's bank; a candidate then only changes bank coefficients. Validation NLL per task is the
 * objective; baselines and the found weights are compared on the test split.
 *
 * <pre>{@code
 * try (LaemOptimizer o = LaemOptimizer.open(recipe, suite, settings, progress, cancel)) {
 *     LaemOptimizer.Search s = o.search(listener);        // CMA-ES over the plans' weights
 *     Map<String, EvalReport> methods = o.compare(s);     // base, uniform, ties, laem, adapter:NAME on test
 *     o.write(outDir, s, methods);
 * }
 * }</pre>
 */
public final class LaemOptimizer implements AutoCloseable {
    /** The plan of the adapters as they are (base, uniform, task arithmetic, single adapters). */
    static final PlanOption RAW = new PlanOption(Recipe.Redundancy.NONE, Recipe.Shared.NONE);

    private final Recipe recipe;
    private final OptimizeSettings settings;
    private final ProgressListener progress;
    private final CancellationToken cancel;
    private final LiveMerge live;
    private final boolean ownsLive;
    private final LiveMerge.Use use;
    private final int numLayers;
    private final List<PlanOption> searched;
    private final Map<String, List<Example>> validation;
    private final Map<String, Scorer.Prepared> validationPrepared = new LinkedHashMap<>();
    /** Each task's validation examples dealt into N pieces (racing, minibatches), prepared once per N on first use. */
    private final Map<Integer, Map<String, List<Scorer.Prepared>>> validationPieces = new LinkedHashMap<>();
    /** The baselines' subsample of the validation set ({@link OptimizeSettings#baselineExamples()}), or null: all of it. */
    private Map<String, Scorer.Prepared> baselinePrepared;
    private final Scorer scorer;
    private final TaskSuite suite;
    private final Evaluator evaluator;
    private Map<String, Double> ownLosses;
    private final java.util.Set<String> announced = new java.util.HashSet<>();
    private final PhaseTimes times = new PhaseTimes();
    /** Tokens one forward over the validation split reads (prompt and completion, all tasks). */
    private final long validationTokens;
    /** Validation evaluations of the baselines, and their seconds: the forward's tokens per second without gradients. */
    private int baselineEvaluations;

    /** The baselines tuned on validation: their validation values, TIES and DARE-TIES densities, task-arithmetic scale. */
    public record Tuned(Map<String, Evaluation> validation, double tiesDensity, double dareTiesDensity, double taskArithmeticScale) {}

    /** The search's outcome, with the tuned baselines for comparison. */
    public record Search(PlanSearch.Result result, PlanOption bestPlan, Recipe bestRecipe, Tuned baselines) {
        public RunResult best() {
            return result.best();
        }

        public Map<String, Evaluation> validationBaselines() {
            return baselines.validation();
        }
    }

    private LaemOptimizer(LiveMerge live, boolean ownsLive, Recipe recipe, TaskSuite suite, OptimizeSettings settings,
            ProgressListener progress, CancellationToken cancel, Consumer<String> waiting) {
        this.recipe = recipe;
        this.suite = suite;
        // the size rule: a model of real size gets the large-model defaults for what was not set explicitly
        this.settings = settings.forScale(ModelScale.of(settings.scale(), live.config()));
        settings = this.settings;
        this.progress = progress;
        this.cancel = cancel;
        this.searched = PlanOption.parseList(settings.plans(), recipe);
        this.validation = withTrain(suite, subset(suite.split(settings.validationSplit()), settings.maxExamples()), settings.trainExamples());
        this.live = live;
        this.ownsLive = ownsLive;
        this.use = live.use("the optimizer run", settings.threads(), cancel, waiting);
        try {
            this.scorer = new Scorer(use.decoder(), use.tokenizer());
            // tokenized and batched once; every candidate scores the same prepared tensors
            times.time("preparing validation", () -> validation.forEach((t, ex) -> validationPrepared.put(t, scorer.prepare(ex))));
            long tokens = 0;
            for (List<Example> ex : validation.values()) {
                for (Example e : ex) {
                    tokens += use.tokenizer().encode(e.prompt() + e.completion()).length;
                }
            }
            this.validationTokens = tokens;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.numLayers = live.numLayers();
        this.evaluator = new Evaluator(use.decoder(), use.tokenizer());
    }

    /** Loads the model and the recipe's adapters into a live merge of its own (closed with this). */
    public static LaemOptimizer open(Recipe recipe, TaskSuite suite, OptimizeSettings settings, ProgressListener progress,
            CancellationToken cancel) {
        LiveMerge live = LiveMerge.open(recipe.baseModel(), Devices.resolve(settings.device()));
        try {
            return new LaemOptimizer(live, true, recipe, suite, settings, progress, cancel, null);
        } catch (RuntimeException e) {
            live.close();
            throw e;
        }
    }

    /**
     * Runs on a live merge someone else owns (the workbench's one model), holding it until closed;
     * while another user holds it, waits and tells {@code waiting}.
     */
    public static LaemOptimizer open(LiveMerge live, Recipe recipe, TaskSuite suite, OptimizeSettings settings,
            ProgressListener progress, CancellationToken cancel, Consumer<String> waiting) {
        return new LaemOptimizer(live, false, recipe, suite, settings, progress, cancel, waiting);
    }

    public int numLayers() {
        return numLayers;
    }

    /** The settings in force: as given, with the size rule's defaults for what was not set ({@link ModelScale}). */
    public OptimizeSettings settings() {
        return settings;
    }

    public List<String> tasks() {
        return List.copyOf(validation.keySet());
    }

    /** The plan for an option, built once into the live merge's bank. */
    public MergePlan plan(PlanOption option) {
        Recipe r = option.applyTo(recipe);
        if (announced.add(option.label())) {
            progress.progress(0, 1, "planning " + option.label());
        }
        return times.time("planning", () -> live.plan(r, ProgressListener.NONE, cancel));
    }

    /** Where the run's time went so far: seconds per phase (planning, baselines on validation, search, comparison, writing). */
    public Map<String, Double> secondsByPhase() {
        return times.seconds();
    }

    /** Tokens one forward over the validation split reads (prompts and completions of every task). */
    public long validationTokens() {
        return validationTokens;
    }

    /** Forward tokens per second of the baselines' validation evaluations (no gradient), NaN before they ran. */
    public double forwardTokensPerSecond() {
        Double s = times.seconds().get("baselines on validation");
        return s == null || baselineEvaluations == 0 ? Double.NaN : baselineEvaluations * (double) baselineTokens() / s;
    }

    /** A plan's merge entries: its tasks, then the shared module when it has one. */
    public static List<String> entries(MergePlan p) {
        return LiveMerge.entries(p);
    }

    /** Shows weights of a plan in the live merge. */
    private void show(PlanOption option, MergeWeights w) {
        live.show(option.applyTo(recipe), w);
    }

    /**
     * The objective (mean validation NLL, plus the configured terms) on one plan's bank entries; for
     * racing, the same objective scored in pieces ({@link PiecewiseObjective}).
     */
    public Objective objective(PlanOption option) {
        TaskLossObjective o = fullObjective(option);
        if (settings.method() == SearchMethod.GRADIENT) {
            return differentiable(option, o);
        }
        if (settings.method() != SearchMethod.RACING) {
            return o;
        }
        Map<String, List<PiecewiseObjective.Piece>> pieces = new LinkedHashMap<>();
        validationPieces(settings.racingPieces()).forEach((t, prepared) -> pieces.put(t, prepared.stream().<PiecewiseObjective.Piece>map(p -> c -> {
            Scorer.Result r = scorer.score(p);
            double loss = 0;
            long tokens = 0;
            for (Scorer.ExampleScore e : r.examples()) {
                loss += e.nll();
                tokens += settings.objective() == Scorer.Term.SEQUENCE ? 1 : e.tokens();
            }
            return new PiecewiseObjective.Sum(loss, tokens);
        }).toList()));
        if (settings.objective() == Scorer.Term.ENTROPY) {
            throw new io.laem.engine.LaemException("racing scores the validation NLL; use --objective nll or sequence with it");
        }
        return new PiecewiseObjective(o, w -> show(option, w), pieces);
    }

    /**
     * The objective with its exact gradient: the candidate's weights go into the bank as
     * differentiable factors ({@link LiveMerge#differentiable}), each task's mean term (NLL, or the
     * entropy of AdaMerging) is backpropagated with its share of the mean, and the L1 term's gradient is added.
     */
    private DifferentiableObjective differentiable(PlanOption option, TaskLossObjective o) {
        Recipe planOf = option.applyTo(recipe);
        int smallest = validation.values().stream().mapToInt(List::size).min().orElse(1);
        int batches = settings.minibatch() > 0 ? Math.max(1, (smallest + settings.minibatch() - 1) / settings.minibatch()) : 1;
        return new DifferentiableObjective() {
            @Override
            public Evaluation evaluate(MergeWeights w, CancellationToken c) {
                return o.evaluate(w, c);
            }

            @Override
            public int batches() {
                return batches;
            }

            @Override
            public ValueAndGradient valueAndGradient(MergeWeights w, CancellationToken c) {
                return valueAndGradient(w, 0, c);
            }

            @Override
            public ValueAndGradient valueAndGradient(MergeWeights w, int batch, CancellationToken c) {
                Map<String, Scorer.Prepared> data = new LinkedHashMap<>();
                if (batches == 1) {
                    data.putAll(validationPrepared);
                } else {
                    validationPieces(batches).forEach((t, pieces) -> data.put(t, pieces.get(batch % pieces.size())));
                }
                double norm = 0;
                for (String t : data.keySet()) {
                    norm += o.taskWeight(t);
                }
                Map<String, Double> losses = new LinkedHashMap<>();
                MergeWeights g;
                try (LiveMerge.Differentiable d = live.differentiable(planOf, w)) {
                    Scorer through = d.scorer();
                    try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        for (var t : data.entrySet()) {
                            c.check();
                            double share = norm > 0 ? o.taskWeight(t.getKey()) / norm : 0;
                            losses.put(t.getKey(), through.meanTerm(t.getValue(), settings.objective(), share, gc));
                        }
                    }
                    g = d.gradient();
                }
                return new ValueAndGradient(o.combine(w, losses), o.gradient(w, g));
            }
        };
    }

    /** Each task's validation examples dealt into {@code pieces} pieces (example i to piece i mod P; fewer when a task has fewer examples). */
    private Map<String, List<Scorer.Prepared>> validationPieces(int pieces) {
        if (!validationPieces.containsKey(pieces)) {
            int count = pieces;
            for (List<Example> ex : validation.values()) {
                count = Math.min(count, ex.size());
            }
            Map<String, List<Scorer.Prepared>> out = new LinkedHashMap<>();
            for (var t : validation.entrySet()) {
                List<Scorer.Prepared> list = new ArrayList<>();
                for (int p = 0; p < count; p++) {
                    List<Example> piece = new ArrayList<>();
                    for (int i = p; i < t.getValue().size(); i += count) {
                        piece.add(t.getValue().get(i));
                    }
                    list.add(scorer.prepare(piece));
                }
                out.put(t.getKey(), list);
            }
            validationPieces.put(pieces, out);
        }
        return validationPieces.get(pieces);
    }

    private TaskLossObjective fullObjective(PlanOption option) {
        return fullObjective(option, validationPrepared);
    }

    private TaskLossObjective fullObjective(PlanOption option, Map<String, Scorer.Prepared> data) {
        plan(option);
        TaskScorer tasks;
        if (scoresOnGradientDecoder()) {
            Recipe planOf = option.applyTo(recipe);
            tasks = (w, c) -> {
                Map<String, Double> out = new LinkedHashMap<>();
                try (LiveMerge.Differentiable d = live.differentiable(planOf, w, false)) {
                    Scorer on = d.scorer();
                    for (var t : data.entrySet()) {
                        c.check();
                        out.put(t.getKey(), loss(on, t.getValue()));
                    }
                }
                return out;
            };
        } else {
            Map<String, BankTaskScorer.TaskLoss> losses = new LinkedHashMap<>();
            data.forEach((t, prepared) -> losses.put(t, c -> loss(scorer, prepared)));
            tasks = new BankTaskScorer(w -> show(option, w), losses);
        }
        TaskLossObjective o = TaskLossObjective.of(tasks).withTaskWeights(settings.taskWeights());
        if (settings.l1() > 0) {
            o = o.withL1(settings.l1(), warmStart(option));
        }
        if (settings.floorPenalty() > 0 && settings.floorFraction() > 0) {
            if (settings.objective() != Scorer.Term.NLL) {
                throw new io.laem.engine.LaemException("--floor compares per-token NLL: use it with --objective nll");
            }
            o = o.withFloor(ownLosses(), settings.floorFraction(), settings.floorPenalty());
        }
        return o;
    }

    /** A task's loss (the objective's term) on a prepared set with what {@code on}'s decoder applies now. */
    private double loss(Scorer on, Scorer.Prepared prepared) {
        return switch (settings.objective()) {
            case NLL -> on.score(prepared).meanNll();
            case SEQUENCE -> on.score(prepared).examples().stream().mapToDouble(Scorer.ExampleScore::nll).average().orElse(0);
            case ENTROPY -> on.meanTerm(prepared, Scorer.Term.ENTROPY, 0, null);
        };
    }

    /**
     * Whether full evaluations and the test comparison run on the gradient's PyTorch decoder ({@link LiveMerge#differentiable}) instead of the
     * mapped CPU forward: for small models, whose tiny matrices PyTorch multiplies many times faster (the demo kit: about
     * 15x, docs/optimizer.md); a large model's evaluations stay on the CPU forward, which reads its weights as stored.
     */
    private boolean scoresOnGradientDecoder() {
        return settings.scale() == OptimizeSettings.Scale.SMALL && use.decoder().parameters().isEmpty();
    }

    /** Each task's validation loss with its own adapter alone. */
    public Map<String, Double> ownLosses() {
        if (ownLosses == null) {
            MergePlan raw = plan(RAW);
            Map<String, Double> out = new LinkedHashMap<>();
            for (String t : validation.keySet()) {
                if (raw.taskNames().contains(t)) {
                    show(RAW, Baselines.single(raw.taskNames(), numLayers, t));
                    out.put(t, scorer.score(validationPrepared.get(t)).meanNll());
                }
            }
            ownLosses = out;
        }
        return ownLosses;
    }

    /**
     * Warm start: the recipe's weights on the plan's entries. A shared module the recipe gives no
     * weight starts at the mean of the task weights, so that with a consensus module (S + sum R_t
     * = sum of the deltas) the warm start is the recipe's own merge.
     */
    public MergeWeights warmStart(PlanOption option) {
        return warmStart(option, recipe);
    }

    /** The warm start from {@code from}'s weights (the recipe's, or task arithmetic at its tuned scale). */
    private MergeWeights warmStart(PlanOption option, Recipe from) {
        List<String> entries = entries(plan(option));
        MergeWeights w = MergeWeights.fromRecipe(from, entries, numLayers);
        int shared = entries.indexOf(Recipe.SHARED);
        if (shared < 0 || from.weights().containsKey(Recipe.SHARED)) {
            return w;
        }
        return MergeWeights.ofSlots(w.layout(), entries, numLayers, (e, l, s) -> {
            if (e != shared) {
                return w.getSlot(e, l, s);
            }
            double sum = 0;
            for (int t = 0; t < entries.size(); t++) {
                sum += t == shared ? 0 : w.getSlot(t, l, s);
            }
            return sum / (entries.size() - 1);
        });
    }

    /** Evaluates fixed weights of a plan on the validation objective (baselines). */
    public Evaluation evaluate(PlanOption option, MergeWeights w) {
        return fullObjective(option).evaluate(w, cancel);
    }

    /** A baseline's validation value: on the baselines' subsample when {@link OptimizeSettings#baselineExamples()} is set. */
    private Evaluation baseline(PlanOption option, MergeWeights w) {
        baselineEvaluations++;
        int n = settings.baselineExamples();
        if (n <= 0 || validation.values().stream().allMatch(ex -> ex.size() <= n)) {
            return evaluate(option, w);
        }
        if (baselinePrepared == null) {
            Map<String, Scorer.Prepared> out = new LinkedHashMap<>();
            times.time("preparing validation", () -> subset(validation, n).forEach((t, ex) -> out.put(t, scorer.prepare(ex))));
            baselinePrepared = out;
        }
        return fullObjective(option, baselinePrepared).evaluate(w, cancel);
    }

    /** Tokens of the validation examples the baselines are scored on. */
    private long baselineTokens() {
        int n = settings.baselineExamples();
        long tokens = 0;
        for (List<Example> ex : (n > 0 ? subset(validation, n) : validation).values()) {
            for (Example e : ex) {
                tokens += use.tokenizer().encode(e.prompt() + e.completion()).length;
            }
        }
        return tokens;
    }

    /** Tunes the baselines on validation: the task-arithmetic scale and the TIES density. */
    public Tuned tuneBaselines() {
        return times.time("baselines on validation", this::tuneBaselinesTimed);
    }

    private Tuned tuneBaselinesTimed() {
        Map<String, Evaluation> base = new LinkedHashMap<>();
        MergePlan raw = plan(RAW);
        List<String> rawEntries = entries(raw);
        progress.progress(0, 1, "baselines on validation");
        base.put("base", baseline(RAW, Baselines.base(rawEntries, numLayers)));
        base.put("uniform", baseline(RAW, Baselines.uniform(rawEntries, numLayers)));
        double bestScale = settings.taskArithmeticScales().getFirst();
        for (double s : settings.taskArithmeticScales()) {
            Evaluation e = baseline(RAW, Baselines.taskArithmetic(rawEntries, numLayers, s));
            if (!base.containsKey("task_arithmetic") || e.value() < base.get("task_arithmetic").value()) {
                base.put("task_arithmetic", e);
                bestScale = s;
            }
        }
        double ties = tuneDensity(Recipe.Redundancy.Strategy.TIES, "ties", base);
        double dareTies = tuneDensity(Recipe.Redundancy.Strategy.DARE_TIES, "dare_ties", base);
        return new Tuned(base, ties, dareTies, bestScale);
    }

    /** The density of a TIES-like baseline with the lowest validation objective; its value goes into {@code base}. */
    private double tuneDensity(Recipe.Redundancy.Strategy strategy, String name, Map<String, Evaluation> base) {
        if (settings.tiesDensities().isEmpty()) {
            return Double.NaN;
        }
        double best = settings.tiesDensities().getFirst();
        for (double d : settings.tiesDensities()) {
            PlanOption p = densityOption(strategy, d);
            Evaluation e = baseline(p, Baselines.ties(entries(plan(p)), numLayers));
            if (!base.containsKey(name) || e.value() < base.get(name).value()) {
                base.put(name, e);
                best = d;
            }
        }
        return best;
    }

    /** Tunes the baselines on validation, then searches the plans' weights with the configured budget. */
    public Search search(RunListener listener) {
        if (settings.method() == SearchMethod.GRADIENT) {
            // before the baselines: on a model whose copy cannot fit they would be minutes spent for nothing
            live.requireGradientFits("the gradient method (--method gradient, the default)",
                    "use --method racing or --method cma-es, which run on the weights as stored");
        }
        Tuned tuned = tuneBaselines();
        Map<String, PlanOption> byLabel = new LinkedHashMap<>();
        searched.forEach(p -> byLabel.put(p.label(), p));
        progress.progress(0, 1, "searching " + String.join(", ", byLabel.keySet()));
        PlanSearch.Result r = times.time("search", () -> PlanSearch.run(List.copyOf(byLabel.keySet()), label -> {
            PlanOption p = byLabel.get(label);
            Parameterization param = Parameterization.of(settings.param(), entries(plan(p)), numLayers)
                    .withBounds(settings.lower(), settings.upper());
            OptimizationRun.Builder b = OptimizationRun.builder(objective(p), param).method(settings.method())
                    .seed(settings.seed()).sigma(settings.sigma()).population(settings.population()).racingMargin(settings.racingMargin())
                    .learningRate(settings.learningRate())
                    .warmStart(warmStart(p, startRecipe(tuned)));
            return listener == null ? b : b.listener(listener);
        }, settings.budget(), cancel));
        if (r.best() == null) {
            return new Search(r, null, null, tuned);
        }
        PlanOption bestPlan = byLabel.get(r.best().label());
        Recipe bestRecipe = bestPlan.applyTo(recipe).withWeights(r.best().bestSchedules());
        return new Search(r, bestPlan, bestRecipe, tuned);
    }

    /** The recipe whose weights start the search: the recipe's own, or task arithmetic at the tuned scale. */
    private Recipe startRecipe(Tuned tuned) {
        if (settings.warmStart() == OptimizeSettings.WarmStart.RECIPE) {
            return recipe;
        }
        Recipe r = recipe;
        for (Recipe.AdapterRef a : recipe.adapters()) {
            r = r.withWeight(a.name(), io.laem.engine.merge.recipe.Schedule.constant(tuned.taskArithmeticScale()));
        }
        return r;
    }

    private PlanOption densityOption(Recipe.Redundancy.Strategy strategy, double density) {
        Recipe.Redundancy red = recipe.redundancy();
        return new PlanOption(new Recipe.Redundancy(strategy, density, red.energy(), red.sign(), red.seed()), Recipe.Shared.NONE);
    }

    /**
     * Exact match and mean NLL on the test split of: the base model, the uniform average, task
     * arithmetic and TIES (as tuned on validation), the found LAEM weights, and each adapter alone.
     * Throws {@link CancelledException} once cancelled.
     */
    public Map<String, EvalReport> compare(Search s) {
        Map<String, EvalReport> out = compareUntilCancelled(s);
        cancel.check();
        return out;
    }

    /** As {@link #compare}, but once cancelled returns the methods compared so far (none when cancelled during the search). */
    public Map<String, EvalReport> compareUntilCancelled(Search s) {
        Map<String, EvalReport> out = new LinkedHashMap<>();
        try {
            times.time("comparison on " + settings.testSplit(), () -> compare(s.baselines(), s.bestPlan(), s.best() == null ? null : s.best().bestWeights(), "laem", settings.testSplit(), out));
        } catch (CancelledException e) {
            // interrupted: the methods compared so far; write() still keeps the best weights
        }
        return out;
    }

    /**
     * Exact match and mean NLL on {@code split} of the base, the tuned baselines, each adapter alone and,
     * when {@code weights} is not null, those weights on {@code plan} under the name {@code name}.
     */
    public Map<String, EvalReport> compare(Tuned t, PlanOption plan, MergeWeights weights, String name, String split) {
        Map<String, EvalReport> out = new LinkedHashMap<>();
        compare(t, plan, weights, name, split, out);
        return out;
    }

    private void compare(Tuned t, PlanOption plan, MergeWeights weights, String name, String split, Map<String, EvalReport> out) {
        Map<String, List<Example>> data = subset(suite.split(split),
                split.equals(settings.validationSplit()) ? settings.maxExamples() : settings.testExamples());
        if (!settings.compareBaselines() && weights != null) {
            out.put(name, test(name, plan, weights, data));
            return;
        }
        MergePlan raw = plan(RAW);
        List<String> rawEntries = entries(raw);
        out.put("base", test("base", RAW, Baselines.base(rawEntries, numLayers), data));
        out.put("uniform", test("uniform", RAW, Baselines.uniform(rawEntries, numLayers), data));
        out.put("task_arithmetic", test("task_arithmetic", RAW, Baselines.taskArithmetic(rawEntries, numLayers, t.taskArithmeticScale()), data));
        if (!Double.isNaN(t.tiesDensity())) {
            PlanOption ties = densityOption(Recipe.Redundancy.Strategy.TIES, t.tiesDensity());
            out.put("ties", test("ties", ties, Baselines.ties(entries(plan(ties)), numLayers), data));
        }
        if (!Double.isNaN(t.dareTiesDensity())) {
            PlanOption dareTies = densityOption(Recipe.Redundancy.Strategy.DARE_TIES, t.dareTiesDensity());
            out.put("dare_ties", test("dare_ties", dareTies, Baselines.ties(entries(plan(dareTies)), numLayers), data));
        }
        if (weights != null) {
            out.put(name, test(name, plan, weights, data));
        }
        for (String n : raw.taskNames()) {
            out.put("adapter:" + n, test("adapter:" + n, RAW, Baselines.single(rawEntries, numLayers, n), data));
        }
    }

    /** The recipe's plan and weights as they are (the workbench's current merge). */
    public PlanOption recipePlan() {
        return PlanOption.of(recipe);
    }

    /** The recipe's weights on its own plan's entries. */
    public MergeWeights recipeWeights() {
        return MergeWeights.fromRecipe(recipe, entries(plan(recipePlan())), numLayers);
    }

    private EvalReport test(String method, PlanOption option, MergeWeights w, Map<String, List<Example>> data) {
        cancel.check();
        plan(option);
        progress.progress(0, 1, "evaluating " + method);
        if (scoresOnGradientDecoder()) {
            try (LiveMerge.Differentiable d = live.differentiable(option.applyTo(recipe), w, false)) {
                return new Evaluator(d.decoder(), use.tokenizer()).evaluate(data);
            }
        }
        show(option, w);
        return evaluator.evaluate(data);
    }

    /** Writes a new folder {@code dir}; see {@link #write(OutputTarget, Search, Map)}. */
    public void write(Path dir, Search s, Map<String, EvalReport> methods) {
        write(OutputTarget.folder(dir), s, methods);
    }

    /**
     * Writes the folder {@code out} whole (staged, then moved into place): best-recipe.yaml, adapter/
     * (the merged PEFT adapter), history.csv, report.json ({"methods": {METHOD: {TASK: {"exact_match",
     * "mean_nll"}}}}), search.json (settings, evaluations per second, validation values) and
     * weights.png. When the search was cancelled (Ctrl-C), these are the best weights found so far and
     * both JSON files say {@code "interrupted": true}. Runs to the end even then: it is what keeps the work done.
     */
    public void write(OutputTarget out, Search s, Map<String, EvalReport> methods) {
        if (s.best() == null) {
            throw new io.laem.engine.LaemException(out + ": nothing to write: no candidate was evaluated");
        }
        OutputTarget target = out.protecting(recipe.inputs()).protecting(suite.files());
        target.check();
        times.time("writing", () -> writeTimed(target, s, methods));
    }

    private void writeTimed(OutputTarget out, Search s, Map<String, EvalReport> methods) {
        boolean interrupted = s.result().cancelled();
        MergedAdapter merged = PlanMerger.merge(plan(s.bestPlan()), s.bestRecipe(), ProgressListener.NONE, CancellationToken.NONE);
        String title = "LAEM weights per layer (" + settings.param() + ", " + s.bestPlan().label() + ")"
                + (interrupted ? ", interrupted" : "");
        out.write(dir -> {
            RecipeYaml.write(s.bestRecipe(), dir.resolve("best-recipe.yaml"));
            Files.createDirectory(dir.resolve("adapter"));
            MergeWriter.adapterFiles(OutputTarget.folder(dir.resolve("adapter")), merged, s.bestRecipe(), recipe.output().dtype(), null)
                    .write(dir.resolve("adapter"));
            s.result().history().writeCsv(dir.resolve("history.csv"));
            Files.writeString(dir.resolve("report.json"), report(methods).put("interrupted", interrupted).toPrettyString() + "\n");
            Files.writeString(dir.resolve("search.json"), searchJson(s).toPrettyString() + "\n");
            WeightPlot.write(s.best().bestWeights(), title, dir.resolve("weights.png"));
        });
    }

    /**
     * {"methods": {METHOD: {TASK: {"exact_match": X, "mean_nll": Y}}}, "mean_exact_match": {METHOD: X},
     * "laem_vs": {"task_arithmetic": POINTS, "ties": ..., "dare_ties": ...}} (LAEM's mean exact match minus
     * the tuned baseline's, in percentage points; only when LAEM is in the report).
     */
    public static ObjectNode report(Map<String, EvalReport> methods) {
        ObjectNode root = Json.JSON.createObjectNode();
        ObjectNode m = root.putObject("methods");
        methods.forEach((name, rep) -> {
            ObjectNode t = m.putObject(name);
            rep.tasks().forEach((task, score) -> t.putObject(task)
                    .put("exact_match", score.exactMatch()).put("mean_nll", score.meanNll()));
        });
        ObjectNode mean = root.putObject("mean_exact_match");
        methods.forEach((name, rep) -> mean.put(name, meanExactMatch(rep)));
        if (methods.containsKey("laem")) {
            ObjectNode vs = root.putObject("laem_vs");
            double laem = meanExactMatch(methods.get("laem"));
            for (String b : List.of("task_arithmetic", "ties", "dare_ties", "uniform")) {
                if (methods.containsKey(b)) {
                    vs.put(b, 100 * (laem - meanExactMatch(methods.get(b))));
                }
            }
        }
        return root;
    }

    private ObjectNode searchJson(Search s) {
        ObjectNode root = Json.JSON.createObjectNode();
        root.put("scale", settings.scale().id());
        root.put("threads", settings.threads());
        if (settings.baselineExamples() > 0) {
            root.put("baseline_examples", settings.baselineExamples());
        }
        if (settings.trainExamples() > 0) {
            root.put("train_examples", settings.trainExamples());
        }
        if (settings.method() == SearchMethod.GRADIENT && settings.minibatch() > 0) {
            root.put("minibatch", settings.minibatch());
        }
        root.put("param", settings.param().toString());
        root.put("method", settings.method().id());
        root.put("objective", settings.objective().name().toLowerCase(java.util.Locale.ROOT));
        root.put("warm_start", settings.warmStart().id());
        if (settings.method() == SearchMethod.GRADIENT) {
            root.put("learning_rate", settings.learningRate());
        }
        root.put("budget", settings.budget());
        root.put("seed", settings.seed());
        root.put("best_plan", s.bestPlan().label());
        int evals = s.result().runs().stream().mapToInt(RunResult::evaluations).sum();
        double spent = s.result().runs().stream().mapToDouble(RunResult::spent).sum();
        double secs = s.result().runs().stream().mapToDouble(RunResult::seconds).sum();
        root.put("evaluations", evals);
        root.put("full_evaluations_spent", spent);
        root.put("seconds", secs);
        root.put("evaluations_per_second", secs > 0 ? spent / secs : 0);
        root.put("validation_tokens", validationTokens);
        putNumber(root, "forward_tokens_per_second", forwardTokensPerSecond());
        ObjectNode phases = root.putObject("seconds_by_phase");
        secondsByPhase().forEach(phases::put);
        if (settings.method() == SearchMethod.RACING) {
            root.put("racing_pieces", settings.racingPieces());
            root.put("racing_margin", settings.racingMargin());
        }
        root.put("interrupted", s.result().cancelled());
        putNumber(root, "ties_density", s.baselines().tiesDensity());
        putNumber(root, "dare_ties_density", s.baselines().dareTiesDensity());
        root.put("task_arithmetic_scale", s.baselines().taskArithmeticScale());
        ObjectNode v = root.putObject("validation");
        s.validationBaselines().forEach((k, e) -> v.put(k, e.value()));
        v.put("warm_start", s.result().history().rows().stream()
                .filter(r -> r.label().equals(s.bestPlan().label())).findFirst().map(r -> r.result().value()).orElse(Double.NaN));
        v.put("laem", s.best().best().value());
        return root;
    }

    /** A number, or null where it is NaN (not measured, not tuned): JSON has no NaN. */
    private static void putNumber(ObjectNode o, String key, double x) {
        if (Double.isNaN(x)) {
            o.putNull(key);
        } else {
            o.put(key, x);
        }
    }

    /** Mean exact match over tasks of a report. */
    public static double meanExactMatch(EvalReport r) {
        return r.tasks().values().stream().mapToDouble(TaskScore::exactMatch).average().orElse(Double.NaN);
    }

    /** Each task's examples followed by the first {@code n} of its train split, where it has one. */
    private static Map<String, List<Example>> withTrain(TaskSuite suite, Map<String, List<Example>> data, int n) {
        if (n <= 0) {
            return data;
        }
        Map<String, List<Example>> out = new LinkedHashMap<>();
        data.forEach((t, ex) -> {
            List<Example> all = new ArrayList<>(ex);
            if (suite.tasks().get(t).containsKey("train")) {
                List<Example> train = suite.examples(t, "train");
                all.addAll(train.subList(0, Math.min(n, train.size())));
            }
            out.put(t, all);
        });
        return out;
    }

    private static Map<String, List<Example>> subset(Map<String, List<Example>> data, int max) {
        if (max <= 0) {
            return data;
        }
        Map<String, List<Example>> out = new LinkedHashMap<>();
        data.forEach((t, ex) -> out.put(t, ex.subList(0, Math.min(max, ex.size()))));
        return out;
    }

    @Override
    public void close() {
        validationPrepared.values().forEach(Scorer.Prepared::close);
        validationPieces.values().forEach(m -> m.values().forEach(l -> l.forEach(Scorer.Prepared::close)));
        if (baselinePrepared != null) {
            baselinePrepared.values().forEach(Scorer.Prepared::close);
        }
        use.close();
        if (ownsLive) {
            live.close();
        }
    }
}
