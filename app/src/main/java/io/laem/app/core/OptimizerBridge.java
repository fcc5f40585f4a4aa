package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKind.Group;
import io.laem.engine.optimize.CandidateEvent;
import io.laem.engine.optimize.Evaluation;
import io.laem.engine.optimize.LaemOptimizer;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.optimize.OptimizeSettings;
import io.laem.engine.optimize.RunListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs the engine's {@link LaemOptimizer} for the Optimize view: settings from the view, events
 * turned into the view's weight table (adapters, then the shared module), and the comparison
 * table on the test split (or on validation when the tasks have no test split).
 */
final class OptimizerBridge {
    private OptimizerBridge() {}

    static Optimization.Outcome run(SessionData s, Optimization.Settings o, Consumer<Optimization.Event> events, Progress progress) {
        if (s.tasks().isEmpty()) {
            throw new LaemException("no task data in the session (File > Add Task Data...)");
        }
        Recipe recipe = EngineBackend.recipe(s);
        TaskSuite suite = suite(s);
        OptimizeSettings settings = new OptimizeSettings().param(param(o)).budget(o.budget()).seed(o.seed());
        if (o.l1() > 0) {
            settings.l1(o.l1());
        }
        boolean hasTest = suite.tasks().values().stream().allMatch(m -> m.containsKey(settings.testSplit()));
        EngineProgress ep = new EngineProgress(progress);
        int layers = s.weights().numLayers();
        try (LaemOptimizer opt = LaemOptimizer.open(recipe, suite, settings, ep, ep.token())) {
            // the search runs one CMA-ES run per merge plan: number the evaluations and keep the best across runs
            int[] count = {0};
            double[] best = {Double.POSITIVE_INFINITY};
            double[][][][] bestTable = {null};
            LaemOptimizer.Search search = opt.search(new RunListener() {
                @Override
                public void candidate(CandidateEvent e) {
                    if (progress.isCancelled()) {
                        ep.token.cancel();
                    }
                    count[0]++;
                    if (e.best().value() < best[0]) {
                        best[0] = e.best().value();
                        bestTable[0] = table(s, e.bestWeights(), layers);
                    }
                    progress.update(count[0], o.budget(), String.format("evaluation %d of %d (%s), best %.4f",
                            count[0], o.budget(), e.label(), best[0]));
                    events.accept(new Optimization.Event(count[0], e.evaluation().value(), e.evaluation().taskScores(),
                            best[0], bestTable[0]));
                }
            });
            if (search.best() == null) {
                throw new java.util.concurrent.CancellationException();
            }
            Optimization.Comparison c = hasTest ? comparison(opt.compare(search)) : validation(search);
            Recipe br = search.bestRecipe();
            MergeSettings.Values plan = new MergeSettings.Values(br.redundancy(), br.shared(), s.settings().output());
            return new Optimization.Outcome(table(s, search.best().bestWeights(), layers), search.best().best().value(),
                    count[0], c, plan);
        }
    }

    private static String param(Optimization.Settings o) {
        return switch (o.parameterization()) {
            case PER_TASK -> "per-task";
            case CONTROL_POINTS -> "curve:" + o.controlPoints();
            case PER_LAYER -> "per-layer";
            case PER_LAYER_AND_KIND -> "per-layer-kind";
        };
    }

    /** The session's tasks file, or a suite of the validation files added by hand. */
    private static TaskSuite suite(SessionData s) {
        if (s.tasksFile() != null && Files.isRegularFile(s.tasksFile())) {
            return TaskSuite.read(s.tasksFile());
        }
        Map<String, Map<String, Path>> tasks = new LinkedHashMap<>();
        for (SessionData.TaskRef t : s.tasks()) {
            tasks.put(t.name(), Map.of("validation", t.file()));
        }
        return new TaskSuite(null, tasks);
    }

    /** Merge weights over the plan's entries as the table [group][series][layer]; absent entries keep the session's. */
    static double[][][] table(SessionData s, MergeWeights w, int layers) {
        List<String> series = s.weights().series();
        double[][][] out = new double[2][series.size()][layers];
        for (Group g : Group.values()) {
            for (int t = 0; t < series.size(); t++) {
                int e = w.entries().indexOf(series.get(t));
                for (int l = 0; l < layers; l++) {
                    out[g.ordinal()][t][l] = e >= 0 ? w.get(e, l, g)
                            : s.weights().values()[g.ordinal()][t][l];
                }
            }
        }
        return out;
    }

    private static final Map<String, String> LABELS = Map.of("base", "base", "uniform", "uniform",
            "task_arithmetic", "task arithmetic", "ties", "TIES", "laem", "LAEM");

    private static Optimization.Comparison comparison(Map<String, EvalReport> methods) {
        List<String> names = new ArrayList<>(methods.keySet());
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
        return new Optimization.Comparison("test split", columns, labels, v);
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
