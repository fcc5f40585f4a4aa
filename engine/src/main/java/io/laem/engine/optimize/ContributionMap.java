package io.laem.engine.optimize;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.Json;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each layer's contribution per task and adapter, by exact ablation: how much task t's validation loss
 * (mean NLL per completion token) rises when entry e (a task adapter of the merge, or its shared
 * module) is removed from layer l, all else as the recipe has it. One evaluation of every task per
 * (layer, entry), plus the reference: for small models (the demo kit: 4 layers x 4 adapters = 17).
 * A positive rise means the layer's adapter helps the task; negative, that it hurts it there.
 *
 * @param rise {@code rise[task][layer][entry]}
 * @param reference each task's loss with the recipe's weights
 */
public record ContributionMap(List<String> tasks, List<String> entries, int numLayers, double[][][] rise,
        Map<String, Double> reference) {

    /**
     * Ablates every (layer, entry) of the recipe's merge on the live merge (call inside a use); the
     * recipe's weights are shown again at the end.
     */
    public static ContributionMap exact(LiveMerge live, Recipe recipe, Map<String, List<Scorer.Example>> validation,
            Scorer scorer, ProgressListener progress, CancellationToken cancel) {
        List<String> entries = LiveMerge.entries(live.plan(recipe, progress, cancel));
        int layers = live.numLayers();
        MergeWeights w = MergeWeights.fromRecipe(recipe, entries, layers);
        List<String> tasks = List.copyOf(validation.keySet());
        Map<String, Scorer.Prepared> prepared = new LinkedHashMap<>();
        try {
            validation.forEach((t, ex) -> prepared.put(t, scorer.prepare(ex)));
            live.show(recipe, w);
            Map<String, Double> ref = losses(scorer, prepared, cancel);
            double[][][] rise = new double[tasks.size()][layers][entries.size()];
            long total = (long) layers * entries.size();
            long done = 0;
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < entries.size(); e++) {
                    cancel.check();
                    progress.progress(done++, total, "contribution of " + entries.get(e) + " in layer " + l);
                    int layer = l;
                    int entry = e;
                    live.show(recipe, MergeWeights.ofSlots(w.layout(), entries, layers,
                            (ee, ll, s) -> ee == entry && ll == layer ? 0 : w.getSlot(ee, ll, s)));
                    Map<String, Double> ablated = losses(scorer, prepared, cancel);
                    for (int t = 0; t < tasks.size(); t++) {
                        rise[t][l][e] = ablated.get(tasks.get(t)) - ref.get(tasks.get(t));
                    }
                }
            }
            live.show(recipe, w);
            progress.progress(total, total, "contribution map done");
            return new ContributionMap(tasks, entries, layers, rise, ref);
        } finally {
            prepared.values().forEach(Scorer.Prepared::close);
        }
    }

    /**
     * The first-order estimate of {@link #exact}: one forward and backward pass per task gives the
     * gradient of its loss with respect to every (entry, layer, group) weight through the LoRA bank
     * ({@link LiveMerge#differentiable}); removing entry e from layer l changes the loss by about
     * {@code -sum_g dL/dw[e, l, g] * w[e, l, g]}. For models where ablating every (layer, entry) is too slow.
     */
    public static ContributionMap firstOrder(LiveMerge live, Recipe recipe, Map<String, List<Scorer.Example>> validation,
            Scorer scorer, ProgressListener progress, CancellationToken cancel) {
        live.requireGradientFits("--first-order", "leave it out: exact ablation runs on the weights as stored");
        List<String> entries = LiveMerge.entries(live.plan(recipe, progress, cancel));
        int layers = live.numLayers();
        MergeWeights w = MergeWeights.fromRecipe(recipe, entries, layers);
        List<String> tasks = List.copyOf(validation.keySet());
        double[][][] rise = new double[tasks.size()][layers][entries.size()];
        Map<String, Double> ref = new LinkedHashMap<>();
        for (int t = 0; t < tasks.size(); t++) {
            cancel.check();
            progress.progress(t, tasks.size(), "gradient of " + tasks.get(t));
            MergeWeights g;
            try (Scorer.Prepared p = scorer.prepare(validation.get(tasks.get(t)));
                    LiveMerge.Differentiable d = live.differentiable(recipe, w)) {
                try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    ref.put(tasks.get(t), d.scorer().meanTerm(p, Scorer.Term.NLL, 1.0, gc));
                }
                g = d.gradient();
            }
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < entries.size(); e++) {
                    double r = 0;
                    for (int s = 0; s < w.layout().slots(); s++) {
                        r -= g.getSlot(e, l, s) * w.getSlot(e, l, s);
                    }
                    rise[t][l][e] = r;
                }
            }
        }
        live.show(recipe, w);
        progress.progress(tasks.size(), tasks.size(), "contribution map done");
        return new ContributionMap(tasks, entries, layers, rise, ref);
    }

    /**
     * Spearman's rank correlation of two maps' rises for one task over every (layer, entry) cell
     * (ties get their mean rank): how well one map ranks the cells like the other.
     */
    public double rankCorrelation(ContributionMap other, String task) {
        double[] a = flat(of(task));
        double[] b = flat(other.of(task));
        if (a.length != b.length) {
            throw new IllegalArgumentException("maps of different shapes");
        }
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = java.util.Arrays.stream(ra).average().orElse(0);
        double mb = java.util.Arrays.stream(rb).average().orElse(0);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Double.NaN;
    }

    private static double[] flat(double[][] m) {
        return java.util.Arrays.stream(m).flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    private static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[order[k]] = (i + j) / 2.0;
            }
            i = j + 1;
        }
        return r;
    }

    private static Map<String, Double> losses(Scorer scorer, Map<String, Scorer.Prepared> prepared, CancellationToken cancel) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : prepared.entrySet()) {
            cancel.check();
            out.put(e.getKey(), scorer.score(e.getValue()).meanNll());
        }
        return out;
    }

    /** {@code rise[layer][entry]} of one task. */
    public double[][] of(String task) {
        return rise[tasks.indexOf(task)];
    }

    /** {"tasks", "entries", "layers", "reference": {TASK: loss}, "rise": {TASK: [[per entry] per layer]}}. */
    public ObjectNode toJson() {
        ObjectNode root = Json.JSON.createObjectNode();
        ArrayNode ts = root.putArray("tasks");
        tasks.forEach(ts::add);
        ArrayNode es = root.putArray("entries");
        entries.forEach(es::add);
        root.put("layers", numLayers);
        ObjectNode ref = root.putObject("reference");
        reference.forEach(ref::put);
        ObjectNode r = root.putObject("rise");
        for (int t = 0; t < tasks.size(); t++) {
            ArrayNode layers = r.putArray(tasks.get(t));
            for (double[] row : rise[t]) {
                ArrayNode a = layers.addArray();
                for (double v : row) {
                    a.add(v);
                }
            }
        }
        return root;
    }

    /** One table per task: layers down, entries across, the loss rise in each cell. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < tasks.size(); t++) {
            sb.append(String.format("task %s (loss %.4f): rise of the loss when an entry is removed from a layer%n",
                    tasks.get(t), reference.get(tasks.get(t))));
            sb.append(String.format("%6s", "layer"));
            entries.forEach(e -> sb.append(String.format(" %10s", e.length() > 10 ? e.substring(0, 10) : e)));
            sb.append('\n');
            for (int l = 0; l < numLayers; l++) {
                sb.append(String.format("%6d", l));
                for (double v : rise[t][l]) {
                    sb.append(String.format(" %+10.4f", v));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** The entries' names in order, for heatmap columns. */
    public List<String> columns() {
        return new ArrayList<>(entries);
    }
}
