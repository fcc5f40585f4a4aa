package io.laem.app;

import io.laem.app.core.EngineBackend;
import io.laem.app.core.Generation;
import io.laem.app.core.Optimization;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * The real backend for files, analysis and export, with generation and optimization scripted:
 * lets the view models' streaming, events and cancellation be tested on their own.
 */
public final class ScriptedBackend extends BackendDelegate {
    public volatile int appliedWeights;
    public final long stepMillis;

    public ScriptedBackend(long stepMillis) {
        super(new EngineBackend());
        this.stepMillis = stepMillis;
    }

    @Override
    public void applyWeights(SessionData s) {
        appliedWeights++;
    }

    @Override
    public Generation.Stats generate(SessionData s, Generation.Variant v, String prompt, Generation.Settings g,
            Consumer<String> tokens, Progress p) {
        int n = 0;
        for (String t : List.of(" hello", " from", " " + v.label())) {
            if (p.isCancelled()) {
                throw new CancellationException();
            }
            pause(stepMillis);
            tokens.accept(t);
            n++;
        }
        return new Generation.Stats(n, 0.01);
    }

    @Override
    public Optimization.Outcome optimize(SessionData s, Optimization.Settings o, Consumer<Optimization.Event> events, Progress p) {
        return scriptedOptimize(s, o, events, p, stepMillis);
    }

    /** A fake run: the objective falls as 2/e + 0.5, the best weights change with every evaluation. */
    public static Optimization.Outcome scriptedOptimize(SessionData s, Optimization.Settings o, Consumer<Optimization.Event> events,
            Progress p, long stepMillis) {
        List<String> series = s.weights().entries();
        int layers = s.weights().numLayers();
        double best = Double.POSITIVE_INFINITY;
        io.laem.engine.merge.MergeWeights bestW = null;
        for (int e = 1; e <= o.budget(); e++) {
            if (p.isCancelled()) {
                throw new CancellationException();
            }
            pause(stepMillis);
            double obj = 2.0 / e + 0.5;
            int ev = e;
            var w = io.laem.engine.merge.MergeWeights.of(series, layers,
                    (t, l, g) -> t == series.size() - 1 ? 1 : 0.1 * (t + 1) + 0.01 * ev);
            if (obj < best) {
                best = obj;
                bestW = w;
            }
            Map<String, Double> scores = new LinkedHashMap<>();
            for (SessionData.TaskRef t : s.tasks()) {
                scores.put(t.name(), obj + 0.1 * scores.size());
            }
            events.accept(new Optimization.Event(e, obj, scores, best, bestW));
            p.update(e, o.budget(), "evaluation " + e);
        }
        List<String> tasks = s.tasks().stream().map(SessionData.TaskRef::name).toList();
        List<String> methods = new java.util.ArrayList<>(List.of("base"));
        methods.addAll(s.enabledAdapters());
        methods.addAll(List.of("uniform", "TIES", "LAEM"));
        double[][] v = new double[methods.size()][tasks.size()];
        return new Optimization.Outcome(bestW, best, o.budget(), new Optimization.Comparison("NLL", tasks, methods, v), null);
    }

    private static void pause(long stepMillis) {
        try {
            Thread.sleep(stepMillis);
        } catch (InterruptedException e) {
            throw new CancellationException();
        }
    }
}
