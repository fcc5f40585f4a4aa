package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.optimize.CandidateEvent;
import io.laem.engine.optimize.Evaluation;
import io.laem.engine.optimize.LaemOptimizer;
import io.laem.engine.optimize.OptimizeSettings;
import io.laem.engine.optimize.RunListener;
import io.laem.engine.progress.CancelledException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs the engine's {@link LaemOptimizer} on the workbench's one live merge for the Optimize view:
 * settings from the view, events with the best weights so far (the engine's {@code MergeWeights}),
 * and the comparison table on the test split (or on validation when the tasks have no test split).
 */
final class OptimizerBridge {
    private OptimizerBridge() {}

    static Optimization.Outcome run(LiveMerge live, SessionData s, Optimization.Settings o, Consumer<Optimization.Event> events,
            Progress progress) {
        Recipe recipe = EngineBackend.recipe(s);
        TaskSuite suite = suite(s);
        OptimizeSettings settings = new OptimizeSettings().param(o.parameterization()).budget(o.budget()).seed(o.seed());
        if (o.l1() > 0) {
            settings.l1(o.l1());
        }
        boolean hasTest = suite.tasks().values().stream().allMatch(m -> m.containsKey(settings.testSplit()));
        EngineProgress ep = new EngineProgress(progress);
        try (LaemOptimizer opt = LaemOptimizer.open(live, recipe, suite, settings, ep, ep.token(), msg -> progress.update(-1, 1, msg))) {
            // the search runs one CMA-ES run per merge plan: number the evaluations and keep the best across runs
            int[] count = {0};
            double[] best = {Double.POSITIVE_INFINITY};
            io.laem.engine.merge.MergeWeights[] bestWeights = {null};
            LaemOptimizer.Search search = opt.search(new RunListener() {
                @Override
                public void candidate(CandidateEvent e) {
                    if (progress.isCancelled()) {
                        ep.token.cancel();
                    }
                    count[0]++;
                    if (e.best().value() < best[0]) {
                        best[0] = e.best().value();
                        bestWeights[0] = e.bestWeights();
                    }
                    progress.update(count[0], o.budget(), String.format("evaluation %d of %d (%s), best %.4f",
                            count[0], o.budget(), e.label(), best[0]));
                    events.accept(new Optimization.Event(count[0], e.evaluation().value(), e.evaluation().taskScores(),
                            best[0], bestWeights[0]));
                }
            });
            if (search.best() == null) {
                throw new java.util.concurrent.CancellationException();
            }
            Optimization.Comparison c = hasTest ? comparison(opt.compare(search), "test split") : validation(search);
            Recipe br = search.bestRecipe();
            MergeSettings.Values plan = new MergeSettings.Values(br.redundancy(), br.shared(), s.settings().output());
            return new Optimization.Outcome(search.best().bestWeights(), search.best().best().value(), count[0], c, plan);
        } catch (CancelledException e) {
            throw new java.util.concurrent.CancellationException();
        }
    }

    /** The comparison of a run without its search: tuned baselines, each adapter and the current merge. */
    static Optimization.Comparison evaluate(LiveMerge live, SessionData s, Progress progress) {
        Recipe recipe = EngineBackend.recipe(s);
        TaskSuite suite = suite(s);
        OptimizeSettings settings = new OptimizeSettings();
        boolean hasTest = suite.tasks().values().stream().allMatch(m -> m.containsKey(settings.testSplit()));
        EngineProgress ep = new EngineProgress(progress);
        try (LaemOptimizer opt = LaemOptimizer.open(live, recipe, suite, settings, ep, ep.token(), msg -> progress.update(-1, 1, msg))) {
            Map<String, EvalReport> methods = opt.compare(opt.tuneBaselines(), opt.recipePlan(), opt.recipeWeights(),
                    CURRENT, hasTest ? settings.testSplit() : settings.validationSplit());
            return comparison(methods, hasTest ? "test split" : "validation");
        } catch (CancelledException e) {
            throw new java.util.concurrent.CancellationException();
        }
    }

    /** The method name of the current weights in an evaluation without a run. */
    static final String CURRENT = "current";

    /** The session's tasks file, or a suite of the validation files added by hand. */
    private static TaskSuite suite(SessionData s) {
        if (s.tasks().isEmpty()) {
            throw new LaemException("no task data in the session (File > Add Task Data...)");
        }
        if (s.tasksFile() != null && Files.isRegularFile(s.tasksFile())) {
            return TaskSuite.read(s.tasksFile());
        }
        Map<String, Map<String, Path>> tasks = new LinkedHashMap<>();
        for (SessionData.TaskRef t : s.tasks()) {
            tasks.put(t.name(), Map.of("validation", t.file()));
        }
        return new TaskSuite(null, tasks);
    }

    private static final Map<String, String> LABELS = Map.of("base", "base", "uniform", "uniform",
            "task_arithmetic", "task arithmetic (tuned)", "ties", "TIES (tuned)", "dare_ties", "DARE-TIES (tuned)",
            "laem", "LAEM", CURRENT, "LAEM (current weights)");

    private static Optimization.Comparison comparison(Map<String, EvalReport> methods, String split) {
        // LAEM last, the row the eye looks for
        List<String> names = new ArrayList<>(methods.keySet());
        for (String last : List.of("laem", CURRENT)) {
            if (names.remove(last)) {
                names.add(last);
            }
        }
        List<String> tasks = new ArrayList<>(methods.get(names.get(0)).tasks().keySet());
        List<String> columns = new ArrayList<>();
        for (String t : tasks) {
            columns.add(t + " EM");
            columns.add(t + " NLL");
        }
        double[][] v = new double[names.size()][columns.size()];
        for (int m = 0; m < names.size(); m++) {
            var rep = methods.get(names.get(m)).tasks();
            for (int t = 0; t < tasks.size(); t++) {
                v[m][2 * t] = rep.get(tasks.get(t)).exactMatch();
                v[m][2 * t + 1] = rep.get(tasks.get(t)).meanNll();
            }
        }
        List<String> labels = names.stream().map(n -> n.startsWith("adapter:") ? n.substring(8) : LABELS.getOrDefault(n, n)).toList();
        return new Optimization.Comparison(split, columns, labels, v);
    }

    private static Optimization.Comparison validation(LaemOptimizer.Search search) {
        Map<String, Evaluation> rows = new LinkedHashMap<>(search.validationBaselines());
        rows.put("laem", search.best().best());
        List<String> names = new ArrayList<>(rows.keySet());
        List<String> tasks = new ArrayList<>(rows.get(names.get(0)).taskScores().keySet());
        double[][] v = new double[names.size()][tasks.size()];
        for (int m = 0; m < names.size(); m++) {
            for (int t = 0; t < tasks.size(); t++) {
                v[m][t] = rows.get(names.get(m)).taskScores().getOrDefault(tasks.get(t), Double.NaN);
            }
        }
        List<String> labels = names.stream().map(n -> LABELS.getOrDefault(n, n)).toList();
        return new Optimization.Comparison("validation NLL", tasks.stream().map(t -> t + " NLL").toList(), labels, v);
    }
}
