package io.laem.engine.optimize;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.Devices;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.infer.Scorer;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.Json;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergeInputs;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergePlanner;
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

/**
 * LAEM end to end on the live engine: loads the base model once, builds each merge plan once
 * (the plain adapters, the TIES baselines, the plans searched) and puts every plan's entries into
 * one LoRA bank; a candidate then only changes bank coefficients. Validation NLL per task is the
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
    private final InferenceModel model;
    private final MergeInputs inputs;
    private final int numLayers;
    private final BankCoefficients coefficients;
    private final Map<String, MergePlan> plans = new LinkedHashMap<>();
    private final List<PlanOption> searched;
    private final Map<String, List<Example>> validation;
    private final Map<String, Scorer.Prepared> validationPrepared = new LinkedHashMap<>();
    private final Scorer scorer;
    private final TaskSuite suite;
    private final Evaluator evaluator;
    private Map<String, Double> ownLosses;

    /** The search's outcome, with the validation values of the baselines for comparison. */
    public record Search(PlanSearch.Result result, PlanOption bestPlan, Recipe bestRecipe,
            Map<String, Evaluation> validationBaselines, double tiesDensity, double taskArithmeticScale) {
        public RunResult best() {
            return result.best();
        }
    }

    private LaemOptimizer(Recipe recipe, TaskSuite suite, OptimizeSettings settings, ProgressListener progress,
            CancellationToken cancel) {
        this.recipe = recipe;
        this.suite = suite;
        this.settings = settings;
        this.progress = progress;
        this.cancel = cancel;
        this.searched = PlanOption.parseList(settings.plans(), recipe);
        this.validation = subset(suite.split(settings.validationSplit()), settings.maxExamples());
        this.inputs = MergeInputs.load(recipe);
        this.model = InferenceModel.open(recipe.baseModel(), Devices.resolve(settings.device()));
        this.scorer = new Scorer(model.decoder(), model.tokenizer());
        try {
            // tokenized and batched once; every candidate scores the same prepared tensors
            validation.forEach((t, ex) -> validationPrepared.put(t, scorer.prepare(ex)));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.numLayers = model.decoder().config().numLayers();
        this.coefficients = BankCoefficients.of(model.decoder().bank(), numLayers);
        this.evaluator = new Evaluator(model.decoder(), model.tokenizer());
        pinThreads();
    }

    /**
     * Sets PyTorch's intra-op thread count. Needed again after every merge plan: ND4J's
     * initialization resets the OpenMP thread count it shares with PyTorch, and two busy threads
     * on a loaded 2-core machine made evaluations 10-20x slower (docs/optimizer.md).
     */
    private void pinThreads() {
        if (settings.threads() > 0) {
            io.laem.engine.infer.Djl.pytorch();
            ai.djl.pytorch.jni.JniUtils.setNumThreads(settings.threads());
        }
    }

    /** Loads the model and the recipe's adapters; plans are built when first needed. */
    public static LaemOptimizer open(Recipe recipe, TaskSuite suite, OptimizeSettings settings, ProgressListener progress,
            CancellationToken cancel) {
        return new LaemOptimizer(recipe, suite, settings, progress, cancel);
    }

    public int numLayers() {
        return numLayers;
    }

    public List<String> tasks() {
        return List.copyOf(validation.keySet());
    }

    /** The plan for an option, built once and added to the bank under its label. */
    public MergePlan plan(PlanOption option) {
        MergePlan p = plans.get(option.label());
        if (p == null) {
            Recipe r = option.applyTo(recipe);
            progress.progress(0, 1, "planning " + option.label());
            p = MergePlanner.plan(MergePlan.Key.of(r), inputs, ProgressListener.NONE, cancel);
            for (String e : entries(p)) {
                var modules = e.equals(Recipe.SHARED) ? p.shared() : p.task(e);
                model.decoder().bank().add(BankCoefficients.bankName(option.label(), e), modules.values());
            }
            plans.put(option.label(), p);
            pinThreads();
        }
        return p;
    }

    /** A plan's merge entries: its tasks, then the shared module when it has one. */
    public static List<String> entries(MergePlan p) {
        List<String> e = new ArrayList<>(p.taskNames());
        if (!p.shared().isEmpty()) {
            e.add(Recipe.SHARED);
        }
        return e;
    }

    /** The objective (mean validation NLL, plus the configured terms) on one plan's bank entries. */
    public Objective objective(PlanOption option) {
        plan(option);
        Map<String, BankTaskScorer.TaskLoss> losses = new LinkedHashMap<>();
        validationPrepared.forEach((t, prepared) -> losses.put(t, c -> scorer.score(prepared).meanNll()));
        TaskLossObjective o = TaskLossObjective.of(new BankTaskScorer(coefficients, option.label(), losses))
                .withTaskWeights(settings.taskWeights());
        if (settings.l1() > 0) {
            o = o.withL1(settings.l1(), warmStart(option));
        }
        if (settings.floorPenalty() > 0 && settings.floorFraction() > 0) {
            o = o.withFloor(ownLosses(), settings.floorFraction(), settings.floorPenalty());
        }
        return o;
    }

    /** Each task's validation loss with its own adapter alone. */
    public Map<String, Double> ownLosses() {
        if (ownLosses == null) {
            MergePlan raw = plan(RAW);
            Map<String, Double> out = new LinkedHashMap<>();
            for (String t : validation.keySet()) {
                if (raw.taskNames().contains(t)) {
                    coefficients.show(RAW.label(), Baselines.single(raw.taskNames(), numLayers, t));
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
        List<String> entries = entries(plan(option));
        MergeWeights w = MergeWeights.fromRecipe(recipe, entries, numLayers);
        int shared = entries.indexOf(Recipe.SHARED);
        if (shared < 0 || recipe.weights().containsKey(Recipe.SHARED)) {
            return w;
        }
        return MergeWeights.of(entries, numLayers, (e, l, g) -> {
            if (e != shared) {
                return w.get(e, l, g);
            }
            double sum = 0;
            for (int t = 0; t < entries.size(); t++) {
                sum += t == shared ? 0 : w.get(t, l, g);
            }
            return sum / (entries.size() - 1);
        });
    }

    /** Evaluates fixed weights of a plan on the validation objective (baselines). */
    public Evaluation evaluate(PlanOption option, MergeWeights w) {
        return objective(option).evaluate(w, cancel);
    }

    /**
     * Tunes the baselines on validation (TIES density, task-arithmetic scale), then searches the
     * plans' weights with the configured budget.
     */
    public Search search(RunListener listener) {
        Map<String, Evaluation> base = new LinkedHashMap<>();
        MergePlan raw = plan(RAW);
        List<String> rawEntries = entries(raw);
        progress.progress(0, 1, "baselines on validation");
        base.put("base", evaluate(RAW, Baselines.base(rawEntries, numLayers)));
        base.put("uniform", evaluate(RAW, Baselines.uniform(rawEntries, numLayers)));
        double bestScale = settings.taskArithmeticScales().getFirst();
        for (double s : settings.taskArithmeticScales()) {
            Evaluation e = evaluate(RAW, Baselines.taskArithmetic(rawEntries, numLayers, s));
            if (!base.containsKey("task_arithmetic") || e.value() < base.get("task_arithmetic").value()) {
                base.put("task_arithmetic", e);
                bestScale = s;
            }
        }
        double bestDensity = settings.tiesDensities().getFirst();
        for (double d : settings.tiesDensities()) {
            PlanOption ties = tiesOption(d);
            Evaluation e = evaluate(ties, Baselines.ties(entries(plan(ties)), numLayers));
            if (!base.containsKey("ties") || e.value() < base.get("ties").value()) {
                base.put("ties", e);
                bestDensity = d;
            }
        }
        Map<String, PlanOption> byLabel = new LinkedHashMap<>();
        searched.forEach(p -> byLabel.put(p.label(), p));
        progress.progress(0, 1, "searching " + String.join(", ", byLabel.keySet()));
        PlanSearch.Result r = PlanSearch.run(List.copyOf(byLabel.keySet()), label -> {
            PlanOption p = byLabel.get(label);
            Parameterization param = Parameterization.parse(settings.param(), entries(plan(p)), numLayers)
                    .withBounds(settings.lower(), settings.upper());
            OptimizationRun.Builder b = OptimizationRun.builder(objective(p), param).method(settings.method())
                    .seed(settings.seed()).sigma(settings.sigma()).population(settings.population())
                    .warmStart(warmStart(p));
            return listener == null ? b : b.listener(listener);
        }, settings.budget(), cancel);
        if (r.best() == null) {
            return new Search(r, null, null, base, bestDensity, bestScale);
        }
        PlanOption bestPlan = byLabel.get(r.best().label());
        Recipe bestRecipe = bestPlan.applyTo(recipe).withWeights(r.best().bestSchedules());
        return new Search(r, bestPlan, bestRecipe, base, bestDensity, bestScale);
    }

    private PlanOption tiesOption(double density) {
        Recipe.Redundancy red = recipe.redundancy();
        return new PlanOption(new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, density, red.energy(),
                red.sign(), red.seed()), Recipe.Shared.NONE);
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
            Map<String, List<Example>> test = subset(suite.split(settings.testSplit()), settings.testExamples());
            MergePlan raw = plan(RAW);
            List<String> rawEntries = entries(raw);
            out.put("base", test("base", RAW, Baselines.base(rawEntries, numLayers), test));
            out.put("uniform", test("uniform", RAW, Baselines.uniform(rawEntries, numLayers), test));
            out.put("task_arithmetic", test("task_arithmetic", RAW, Baselines.taskArithmetic(rawEntries, numLayers, s.taskArithmeticScale()), test));
            PlanOption ties = tiesOption(s.tiesDensity());
            out.put("ties", test("ties", ties, Baselines.ties(entries(plan(ties)), numLayers), test));
            if (s.best() != null) {
                out.put("laem", test("laem", s.bestPlan(), s.best().bestWeights(), test));
            }
            for (String name : raw.taskNames()) {
                out.put("adapter:" + name, test("adapter:" + name, RAW, Baselines.single(rawEntries, numLayers, name), test));
            }
        } catch (CancelledException e) {
            // interrupted: the methods compared so far; write() still keeps the best weights
        }
        return out;
    }

    private EvalReport test(String method, PlanOption option, MergeWeights w, Map<String, List<Example>> data) {
        cancel.check();
        plan(option);
        progress.progress(0, 1, "test split: " + method);
        coefficients.show(option.label(), w);
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
        out = out.protecting(recipe.inputs()).protecting(suite.files());
        out.check();
        MergedAdapter merged = PlanMerger.merge(plan(s.bestPlan()), s.bestRecipe(), ProgressListener.NONE, CancellationToken.NONE);
        boolean interrupted = s.result().cancelled();
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

    /** {"methods": {METHOD: {TASK: {"exact_match": X, "mean_nll": Y}}}}. */
    public static ObjectNode report(Map<String, EvalReport> methods) {
        ObjectNode root = Json.JSON.createObjectNode();
        ObjectNode m = root.putObject("methods");
        methods.forEach((name, rep) -> {
            ObjectNode t = m.putObject(name);
            rep.tasks().forEach((task, score) -> t.putObject(task)
                    .put("exact_match", score.exactMatch()).put("mean_nll", score.meanNll()));
        });
        return root;
    }

    private ObjectNode searchJson(Search s) {
        ObjectNode root = Json.JSON.createObjectNode();
        root.put("param", settings.param());
        root.put("method", settings.method().id());
        root.put("budget", settings.budget());
        root.put("seed", settings.seed());
        root.put("best_plan", s.bestPlan().label());
        int evals = s.result().runs().stream().mapToInt(RunResult::evaluations).sum();
        double secs = s.result().runs().stream().mapToDouble(RunResult::seconds).sum();
        root.put("evaluations", evals);
        root.put("seconds", secs);
        root.put("evaluations_per_second", secs > 0 ? evals / secs : 0);
        root.put("interrupted", s.result().cancelled());
        root.put("ties_density", s.tiesDensity());
        root.put("task_arithmetic_scale", s.taskArithmeticScale());
        ObjectNode v = root.putObject("validation");
        s.validationBaselines().forEach((k, e) -> v.put(k, e.value()));
        v.put("warm_start", s.result().history().rows().stream()
                .filter(r -> r.label().equals(s.bestPlan().label())).findFirst().map(r -> r.result().value()).orElse(Double.NaN));
        v.put("laem", s.best().best().value());
        return root;
    }

    /** Mean exact match over tasks of a report. */
    public static double meanExactMatch(EvalReport r) {
        return r.tasks().values().stream().mapToDouble(TaskScore::exactMatch).average().orElse(Double.NaN);
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
        model.close();
    }
}
