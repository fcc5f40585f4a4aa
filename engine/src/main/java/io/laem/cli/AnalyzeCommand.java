package io.laem.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.analysis.AdapterAnalysis;
import io.laem.engine.analysis.Analyzer;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.Json;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.optimize.ContributionMap;
import io.laem.engine.optimize.ModelScale;
import io.laem.engine.optimize.OptimizeSettings;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem analyze}: per layer x module x adapter statistics and per adapter pair agreement. */
@Command(name = "analyze", mixinStandardHelpOptions = true, description = "Per layer x module x adapter: delta norms, effective rank, redundancy, sign conflicts, cosine similarity; "
        + "or (--contribution RECIPE) each layer's contribution per task and adapter.")
final class AnalyzeCommand implements Callable<Integer> {
    @Option(names = "--base", paramLabel = "DIR", description = "The base model folder the adapters are checked against.")
    Path base;

    @Option(names = "--adapter", paramLabel = "[NAME=]DIR", description = "An adapter folder (repeat for each; the name defaults to the folder name).")
    List<String> adapters;

    @Option(names = "--contribution", paramLabel = "RECIPE",
            description = "Instead: each layer's contribution per task and adapter of the recipe's merge, by exact ablation "
                    + "(the rise of the task's validation loss when the adapter is removed from the layer).")
    Path contribution;

    @Option(names = "--first-order",
            description = "With --contribution: the first-order estimate from one backward pass per task instead of exact ablation (for large models).")
    boolean firstOrder;

    @Option(names = "--tasks", paramLabel = "TASKS.yaml", description = "With --contribution: task files (default: the recipe's tasks).")
    Path tasks;

    @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "validation", description = "With --contribution: split scored (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--max-examples", paramLabel = "N",
            description = "With --contribution: at most N examples per task (0: all; default: all, or 16 with --first-order on a large model).")
    int maxExamples = -1;

    @Option(names = "--threads", paramLabel = "N",
            description = "With --contribution: threads of the forward and backward passes (default: 1, all cores on a large model).")
    int threads;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (contribution != null) {
            return contribution();
        }
        if (base == null || adapters == null || adapters.isEmpty()) {
            throw new LaemException("analyze: give --base DIR and --adapter DIR (repeatable), or --contribution RECIPE");
        }
        Path cfgFile = base.resolve("config.json");
        if (!Files.exists(cfgFile)) {
            throw new LaemException(base + ": not a model folder (no config.json)");
        }
        ModelConfig cfg = ModelConfig.read(cfgFile);
        List<LoraAdapter> loaded = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String spec : adapters) {
            int eq = spec.indexOf('=');
            Path dir = Path.of(eq > 0 ? spec.substring(eq + 1) : spec);
            String name = eq > 0 ? spec.substring(0, eq) : dir.toAbsolutePath().normalize().getFileName().toString();
            if (!names.add(name)) {
                throw new LaemException(dir + ": a second adapter named '" + name + "' (name them: --adapter NAME=DIR)");
            }
            LoraAdapter a = LoraAdapter.load(dir, name);
            a.validateAgainst(cfg, base);
            loaded.add(a);
        }
        long t0 = System.nanoTime();
        long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        AdapterAnalysis r = Analyzer.analyze(loaded, cfg.numLayers(), ProgressListener.NONE, CancellationToken.NONE);
        spec.commandLine().getErr().printf("analyze: %d modules of %d adapters in %.2f s (%.2f s CPU)%n", r.deltas().size(), loaded.size(),
                (System.nanoTime() - t0) / 1e9,
                (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e9);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(r).toPrettyString());
        } else {
            printTables(r, out);
        }
        out.flush();
        return 0;
    }

    private int contribution() {
        Recipe recipe = RecipeYaml.read(contribution);
        Path tasksFile = tasks != null ? tasks : recipe.tasks();
        if (tasksFile == null) {
            throw new LaemException(contribution + ": no tasks: give --tasks TASKS.yaml or a recipe with 'tasks'");
        }
        PrintWriter err = spec.commandLine().getErr();
        ContributionMap map;
        long t0 = System.nanoTime();
        try (LiveMerge live = LiveMerge.open(recipe.baseModel(), ai.djl.Device.cpu(), 1, LiveMerge.DEFAULT_PLANS)) {
            // the size rule of laem optimize (ModelScale): a large model gets every core and, first-order, a subsample
            boolean large = ModelScale.of(OptimizeSettings.Scale.AUTO, live.config()) == OptimizeSettings.Scale.LARGE;
            int n = maxExamples >= 0 ? maxExamples : large && firstOrder ? ModelScale.FIRST_ORDER_EXAMPLES : 0;
            Map<String, List<Scorer.Example>> data = new java.util.LinkedHashMap<>();
            TaskSuite.read(tasksFile).split(split).forEach((t, ex) -> data.put(t, n > 0 ? ex.subList(0, Math.min(n, ex.size())) : ex));
            int th = threads > 0 ? threads : large ? Runtime.getRuntime().availableProcessors() : 1;
            err.printf("analyze: %s contribution map, %s examples per task, %d thread(s)%n", firstOrder ? "first-order" : "exact",
                    n > 0 ? "at most " + n : "all", th);
            map = contributionMap(live, recipe, data, th, err);
        }
        err.printf("analyze: contribution map in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? map.toJson().toPrettyString() + "\n" : map.table());
        out.flush();
        return 0;
    }

    private ContributionMap contributionMap(LiveMerge live, Recipe recipe, Map<String, List<Scorer.Example>> data, int th, PrintWriter err) {
        ContributionMap map;
        try (LiveMerge.Use u = live.use("analyze", th, CancellationToken.NONE, null)) {
            io.laem.engine.progress.ProgressListener p = (done, total, msg) -> {
                err.println("analyze: " + msg);
                err.flush();
            };
            Scorer scorer = new Scorer(u.decoder(), u.tokenizer());
            map = firstOrder ? ContributionMap.firstOrder(live, recipe, data, scorer, p, CancellationToken.NONE)
                    : ContributionMap.exact(live, recipe, data, scorer, p, CancellationToken.NONE);
        }
        return map;
    }

    static ObjectNode toJson(AdapterAnalysis r) {
        ObjectNode root = Json.JSON.createObjectNode();
        ArrayNode names = root.putArray("adapters");
        r.adapters().forEach(names::add);
        root.put("layers", r.numLayers());
        ArrayNode mods = root.putArray("modules");
        r.deltas().forEach((k, row) -> row.forEach((name, s) -> {
            ObjectNode o = mods.addObject();
            o.put("layer", k.layer());
            o.put("module", k.kind().peftName());
            o.put("adapter", name);
            o.put("delta_norm", s.deltaNorm());
            o.put("effective_rank_90", s.effectiveRank90());
            o.put("effective_rank_99", s.effectiveRank99());
            o.put("top10_energy", s.top10Energy());
            o.put("top20_energy", s.top20Energy());
            o.put("top50_energy", s.top50Energy());
        }));
        ArrayNode pairs = root.putArray("pairs");
        r.pairs().forEach((k, row) -> row.forEach((pair, s) -> {
            ObjectNode o = pairs.addObject();
            o.put("layer", k.layer());
            o.put("module", k.kind().peftName());
            String[] ab = pair.split("~", 2);
            o.put("a", ab[0]);
            o.put("b", ab[1]);
            o.put("sign_conflict_rate", s.signConflictRate());
            o.put("cosine", s.cosine());
        }));
        return root;
    }

    private static void printTables(AdapterAnalysis r, PrintWriter out) {
        out.println("Per layer, module and adapter: delta norm ||s B A||, effective rank at 90%/99% energy, energy share of the top 10/20/50% entries");
        out.printf("%-5s %-9s %-16s %10s %5s %5s %7s %7s %7s%n", "layer", "module", "adapter", "norm", "r90", "r99", "top10", "top20", "top50");
        for (Map.Entry<ModuleKey, Map<String, AdapterAnalysis.DeltaStats>> e : r.deltas().entrySet()) {
            for (Map.Entry<String, AdapterAnalysis.DeltaStats> a : e.getValue().entrySet()) {
                AdapterAnalysis.DeltaStats s = a.getValue();
                out.printf("%-5d %-9s %-16s %10.4g %5d %5d %7.3f %7.3f %7.3f%n", e.getKey().layer(), e.getKey().kind().peftName(), a.getKey(),
                        s.deltaNorm(), s.effectiveRank90(), s.effectiveRank99(), s.top10Energy(), s.top20Energy(), s.top50Energy());
            }
        }
        if (r.adapters().size() > 1) {
            out.println();
            out.println("Per layer, module and adapter pair: sign conflicts (among entries both non-zero) and cosine similarity");
            out.printf("%-5s %-9s %-33s %9s %8s%n", "layer", "module", "pair", "conflict", "cosine");
            r.pairs().forEach((k, row) -> row.forEach((pair, s) -> out.printf("%-5d %-9s %-33s %9.3f %8.4f%n", k.layer(),
                    k.kind().peftName(), pair.replace("~", " / "), s.signConflictRate(), s.cosine())));
        }
    }
}
