package io.laem.engine.route;

import io.laem.engine.LaemException;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.infer.Scorer;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.io.OutputTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Mixture-of-LoRAs alternative to merging, end to end: train a router on domain labels over
 * a set of task adapters, and evaluate routed inference (each input to the adapter its router picks).
 */
public final class MoaModel {
    /** Routing accuracy, exact match and mean NLL of routed inference on one task. */
    public record TaskResult(double routingAccuracy, double exactMatch, double meanNll, int examples) {}

    private MoaModel() {}

    /**
     * Trains a router whose labels are the task names: each task's prompts are labelled with the
     * task; {@code experts} gives each task's adapter. Writes the router to {@code out}.
     */
    public static Router train(LiveMerge.Use model, Map<String, List<Scorer.Example>> data, Map<String, Path> experts,
                               Path out, ProgressListener progress, CancellationToken cancel) {
        return train(model, data, experts, OutputTarget.folder(out), progress, cancel);
    }

    /** As above, to a checked output target (the base and the experts are never written over). */
    public static Router train(LiveMerge.Use model, Map<String, List<Scorer.Example>> data, Map<String, Path> experts,
                               OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        out = out.protecting(experts.values()).protecting(model.live().baseDir());
        out.check();
        List<String> labels = new ArrayList<>(data.keySet());
        for (String l : labels) {
            if (!experts.containsKey(l)) {
                throw new LaemException("task '" + l + "' has no adapter: name an adapter folder after the task or map it with TASK=DIR");
            }
        }
        List<String> prompts = new ArrayList<>();
        List<Integer> y = new ArrayList<>();
        for (int c = 0; c < labels.size(); c++) {
            for (Scorer.Example e : data.get(labels.get(c))) {
                prompts.add(e.prompt());
                y.add(c);
            }
        }
        progress.progress(0, 2, "router features of " + prompts.size() + " prompts");
        float[][] x = PromptFeatures.compute(model.decoder(), model.tokenizer(), prompts, cancel);
        progress.progress(1, 2, "training the router");
        Router r = RouterTrainer.train(labels, x, y.stream().mapToInt(Integer::intValue).toArray(),
                RouterTrainer.Options.defaults(), cancel);
        r.save(out, model.live().baseDir().toString(), experts);
        progress.progress(2, 2, "router written to " + out);
        return r;
    }

    /** Loads a router and its experts into the live merge (call inside a use). */
    public static RoutedModel load(LiveMerge live, Path routerDir) {
        return new RoutedModel(live, Router.load(routerDir), Router.experts(routerDir));
    }

    /** Routes every example, then scores each group with its chosen adapter active. */
    public static Map<String, TaskResult> evaluate(LiveMerge.Use model, RoutedModel routed,
                                                   Map<String, List<Scorer.Example>> data, CancellationToken cancel) {
        Evaluator evaluator = new Evaluator(model.decoder(), model.tokenizer());
        Scorer scorer = new Scorer(model.decoder(), model.tokenizer());
        Map<String, TaskResult> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Scorer.Example>> task : data.entrySet()) {
            List<Scorer.Example> ex = task.getValue();
            List<RoutedModel.Routing> routes = routed.route(ex.stream().map(Scorer.Example::prompt).toList(), model, cancel);
            Map<String, List<Scorer.Example>> groups = new LinkedHashMap<>();
            int correctRoute = 0;
            for (int i = 0; i < ex.size(); i++) {
                String label = routes.get(i).label();
                correctRoute += label.equals(task.getKey()) ? 1 : 0;
                groups.computeIfAbsent(label, k -> new ArrayList<>()).add(ex.get(i));
            }
            double matches = 0;
            double nll = 0;
            long tokens = 0;
            for (Map.Entry<String, List<Scorer.Example>> g : groups.entrySet()) {
                cancel.check();
                routed.activate(g.getKey());
                matches += evaluator.exactMatch(g.getValue()) * g.getValue().size();
                for (Scorer.ExampleScore s : scorer.score(g.getValue()).examples()) {
                    nll += s.nll();
                    tokens += s.tokens();
                }
            }
            out.put(task.getKey(), new TaskResult(correctRoute / (double) ex.size(), matches / ex.size(),
                    tokens == 0 ? Double.NaN : nll / tokens, ex.size()));
        }
        return out;
    }
}
