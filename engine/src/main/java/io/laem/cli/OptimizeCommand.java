package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.io.InFlight;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.optimize.LaemOptimizer;
import io.laem.engine.optimize.OptimizeSettings;
import io.laem.engine.optimize.Parameterization;
import io.laem.engine.optimize.SearchMethod;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code laem optimize}: per-layer merge weights by CMA-ES on every task's validation loss. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = "Find per-layer merge weights with CMA-ES on every task's validation loss.")
final class OptimizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE", description = "The merge recipe (YAML); its weights are the warm start.")
    Path recipeFile;

    @Option(names = "--tasks", paramLabel = "TASKS.yaml", description = "Task files (default: the recipe's tasks).")
    Path tasks;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Output folder: best-recipe.yaml, adapter/, history.csv, report.json, search.json, weights.png.")
    Path out;

    @Option(names = "--force", description = "Replace --out when it holds an earlier laem output (never a folder laem did not write, nor an input).")
    boolean force;

    @Option(names = "--budget", paramLabel = "N", description = "Evaluations in all (default: ${DEFAULT-VALUE}).")
    int budget = new OptimizeSettings().budget();

    @Option(names = "--param", paramLabel = "P",
            description = "per-task | curve:K | per-layer | per-layer-kind | per-layer-module (default: ${DEFAULT-VALUE}).")
    String param = new OptimizeSettings().param().toString();

    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--scale", paramLabel = "S",
            description = "auto | small | large: which defaults apply; auto: large when the model's linear modules hold over 50 M weights"
                    + " (docs/optimizer.md) (default: ${DEFAULT-VALUE}).")
    String scale = "auto";

    @Option(names = "--minibatch", paramLabel = "N",
            description = "Gradient method: validation examples per task in each Adam step, in turn (0: all; large-model default 4).")
    int minibatch = 0;

    @Option(names = "--train-examples", paramLabel = "N",
            description = "The first N train examples of each task join its validation examples in the objective (default: ${DEFAULT-VALUE}).")
    int trainExamples = new OptimizeSettings().trainExamples();

    @Option(names = "--baseline-examples", paramLabel = "N",
            description = "Validation examples per task the baselines are tuned on (0: all; large-model default 8).")
    int baselineExamples = 0;

    @Option(names = "--method", paramLabel = "M", description = "gradient | racing | cma-es | random (default: ${DEFAULT-VALUE}).")
    String method = new OptimizeSettings().method().id();

    @Option(names = "--objective", paramLabel = "O",
            description = "nll (validation NLL per completion token) | sequence (per example: -log P(completion)) "
                    + "| entropy (AdaMerging: entropy of the predictions, no labels) (default: ${DEFAULT-VALUE}).")
    String objective = new OptimizeSettings().objective().name().toLowerCase(java.util.Locale.ROOT);

    @Option(names = "--learning-rate", paramLabel = "X", description = "Gradient method: Adam's step size (default: ${DEFAULT-VALUE}).")
    double learningRate = new OptimizeSettings().learningRate();

    @Option(names = "--warm-start", paramLabel = "W",
            description = "recipe (the recipe's weights) | task-arithmetic (at the scale tuned on validation) (default: ${DEFAULT-VALUE}).")
    String warmStart = new OptimizeSettings().warmStart().id();

    @Option(names = "--no-baselines",
            description = "report.json scores the found weights only (the tuned baselines and adapters do not change with the seed).")
    boolean noBaselines;

    @Option(names = "--racing-pieces", paramLabel = "N", description = "Racing: pieces of each task's validation set (default: ${DEFAULT-VALUE}).")
    int racingPieces = new OptimizeSettings().racingPieces();

    @Option(names = "--racing-margin", paramLabel = "X",
            description = "Racing: drop a candidate worse than the best by more than this fraction on the same pieces (default: ${DEFAULT-VALUE}).")
    double racingMargin = new OptimizeSettings().racingMargin();

    @Option(names = "--sigma", paramLabel = "X", description = "CMA-ES initial step (default: ${DEFAULT-VALUE}).")
    double sigma = new OptimizeSettings().sigma();

    @Option(names = "--population", paramLabel = "N", description = "CMA-ES population (default: 4 + 3 ln d).")
    int population = -1;

    @Option(names = "--bounds", paramLabel = "LO,HI", split = ",", description = "Weight bounds (default: -0.5,2).")
    List<Double> bounds = List.of(Parameterization.DEFAULT_LOWER, Parameterization.DEFAULT_UPPER);

    @Option(names = "--plans", paramLabel = "SPECS",
            description = "Merge plans searched, comma-separated: recipe | STRATEGY[:P][+consensus:R] (default: ${DEFAULT-VALUE}).")
    String plans = new OptimizeSettings().plans();

    @Option(names = "--l1", paramLabel = "X", description = "L1 pull toward the warm start (LoraHub: 0.05; default: ${DEFAULT-VALUE}).")
    double l1 = new OptimizeSettings().l1();

    @Option(names = "--floor", paramLabel = "FRACTION,PENALTY", split = ",",
            description = "Penalize tasks whose per-token likelihood falls below FRACTION of their own adapter's.")
    List<Double> floor;

    @Option(names = "--task-weight", paramLabel = "TASK=W", description = "Relative weight of a task in the mean (repeatable).")
    Map<String, Double> taskWeights = Map.of();

    @Option(names = "--max-examples", paramLabel = "N", description = "At most N validation examples per task (default: all).")
    int maxExamples = 0;

    @Option(names = "--test-examples", paramLabel = "N", description = "At most N test examples per task in report.json (default: all).")
    int testExamples = 0;

    @Option(names = "--device", paramLabel = "D", description = "auto | cpu | gpu (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}: the demo kit's tiny matrices run fastest on one, "
                    + "and several busy threads on few cores slow every evaluation down many times).")
    int threads = 1;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Recipe recipe = RecipeYaml.read(recipeFile);
        Path tasksFile = tasks != null ? tasks : recipe.tasks();
        if (tasksFile == null) {
            throw new LaemException(recipeFile + ": no tasks: give --tasks TASKS.yaml or a recipe with 'tasks'");
        }
        if (bounds.size() != 2) {
            throw new LaemException("--bounds: expected LO,HI");
        }
        OptimizeSettings s = new OptimizeSettings().seed(seed).sigma(sigma).population(population)
                .bounds(bounds.get(0), bounds.get(1)).plans(plans).l1(l1).taskWeights(taskWeights).maxExamples(maxExamples).testExamples(testExamples).device(device)
                .racingPieces(racingPieces).racingMargin(racingMargin).objective(objective)
                .warmStart(warmStart).compareBaselines(!noBaselines).scale(OptimizeSettings.Scale.parse(scale));
        // what the size rule chooses is set only when given: the rule fills the rest (ModelScale)
        var given = spec.commandLine().getParseResult();
        if (given.hasMatchedOption("--budget")) {
            s.budget(budget);
        }
        if (given.hasMatchedOption("--param")) {
            s.param(param);
        }
        if (given.hasMatchedOption("--method")) {
            s.method(SearchMethod.parse(method));
        }
        if (given.hasMatchedOption("--learning-rate")) {
            s.learningRate(learningRate);
        }
        if (given.hasMatchedOption("--threads")) {
            s.threads(threads);
        }
        if (given.hasMatchedOption("--minibatch")) {
            s.minibatch(minibatch);
        }
        if (given.hasMatchedOption("--train-examples")) {
            s.trainExamples(trainExamples);
        }
        if (given.hasMatchedOption("--baseline-examples")) {
            s.baselineExamples(baselineExamples);
        }
        if (floor != null) {
            if (floor.size() != 2) {
                throw new LaemException("--floor: expected FRACTION,PENALTY");
            }
            s.floor(floor.get(0), floor.get(1));
        }
        TaskSuite suite = TaskSuite.read(tasksFile);
        OutputTarget target = OutputTarget.folder(out).force(force).protecting(recipe.inputs()).protecting(suite.files()).protecting(recipeFile);
        target.check();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        CancellationToken cancel = new CancellationToken();
        ProgressListener phases = (done, total, msg) -> {
            err.println("laem optimize: " + msg);
            err.flush();
        };
        // Ctrl-C / SIGTERM: stop the search within one evaluation and write the best weights so far
        CountDownLatch finished = new CountDownLatch(1);
        try (InFlight.Registration onInterrupt = InFlight.onInterrupt(() -> {
                 cancel.cancel();
                 awaitQuietly(finished);
             });
             LaemOptimizer o = LaemOptimizer.open(recipe, suite, s, phases, cancel)) {
            OptimizeSettings used = o.settings();
            err.println("laem optimize: " + o.tasks().size() + " tasks, " + o.numLayers() + " layers, " + used.scale().id() + " model: "
                    + used.method().id() + (used.method() == SearchMethod.GRADIENT && used.minibatch() > 0 ? " (minibatches of " + used.minibatch()
                    + " per task)" : "") + ", " + used.param() + ", budget " + used.budget() + ", " + used.threads() + " thread(s)");
            err.flush();
            LaemOptimizer.Search search = o.search(new OptimizeProgressBar(err, used.budget()));
            search.validationBaselines().forEach((k, e) -> err.printf("  validation %-16s %.4f%n", k, e.value()));
            err.printf("  validation %-16s %.4f  (%s, %.2f eval/s)%n", "laem", search.best().best().value(),
                    search.bestPlan().label(), search.best().evaluationsPerSecond());
            Map<String, EvalReport> methods = o.compareUntilCancelled(search);
            o.write(target, search, methods);
            if (cancel.isCancelled()) {
                err.println("laem optimize: interrupted; wrote the best weights found so far (\"interrupted\": true)");
                err.flush();
            }
            stdout.printf("%-22s %12s %10s%n", "method", "exact match", "mean NLL");
            methods.forEach((name, r) -> stdout.printf("%-22s %11.1f%% %10.4f%n", name,
                    100 * LaemOptimizer.meanExactMatch(r), r.meanNll()));
            if (methods.containsKey("laem") && methods.containsKey("task_arithmetic")) {
                stdout.printf("LAEM vs tuned task arithmetic: %+.1f points of exact match%n",
                        100 * (LaemOptimizer.meanExactMatch(methods.get("laem")) - LaemOptimizer.meanExactMatch(methods.get("task_arithmetic"))));
            }
            StringBuilder byPhase = new StringBuilder();
            o.secondsByPhase().forEach((k, v) -> byPhase.append(byPhase.isEmpty() ? "" : ", ").append(String.format("%s %.1f s", k, v)));
            err.printf("laem optimize: time by phase: %s; %d validation tokens per evaluation, forward %.1f tokens/s%n", byPhase,
                    o.validationTokens(), o.forwardTokensPerSecond());
            err.flush();
            stdout.println("wrote " + out);
            stdout.flush();
        } finally {
            finished.countDown();
        }
        return 0;
    }

    /** How long an interrupt waits for the outputs of the best weights to be written. */
    private static final long INTERRUPT_WRITE_SECONDS = 120;

    private static void awaitQuietly(CountDownLatch finished) {
        try {
            finished.await(INTERRUPT_WRITE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
