package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.analysis.AdapterAnalysis;
import io.laem.engine.analysis.Analyzer;
import io.laem.engine.infer.ChatTemplate;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.Devices;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.optimize.ContributionMap;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.route.MoaModel;
import io.laem.engine.route.RoutedModel;
import io.laem.engine.route.Router;
import java.io.IOException;
import java.nio.file.Files;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The workbench's view of the engine, over the engine's packages. */
public final class EngineBackend implements Backend {
    /** Adapters read once per folder: analysis and details reuse them. */
    private final Map<Path, LoraAdapter> adapters = new ConcurrentHashMap<>();
    private final Object loading = new Object();
    private LiveMerge live;
    private int modelsLoaded;
    private boolean closed;

    @Override
    public BaseModelInfo openBase(Path dir) {
        try (HfModel m = HfModel.open(dir)) {
            return new BaseModelInfo(dir.toAbsolutePath().normalize(), m.config());
        }
    }

    @Override
    public AdapterInfo openAdapter(Path dir, BaseModelInfo base) {
        Path key = dir.toAbsolutePath().normalize();
        LoraAdapter a = LoraAdapter.load(key);
        if (base != null) {
            a.validateAgainst(base.config(), base.dir());
        }
        adapters.put(key, a);
        double scale = a.modules().values().stream().findFirst().map(LoraModule::scale).orElse(0.0);
        return new AdapterInfo(a.name(), key, a.maxRank(), scale, a.modules().size());
    }

    @Override
    public TaskEntry openTaskData(Path file) {
        int n = ScoreData.readJsonl(file).size();
        String name = file.getFileName().toString().replaceFirst("(\\.(validation|val|valid|test|train))?\\.jsonl$", "");
        if (name.equals("validation") || name.equals("val") || name.equals("test")) {
            name = file.toAbsolutePath().getParent().getFileName().toString();
        }
        return new TaskEntry(name, file.toAbsolutePath().normalize(), n);
    }

    @Override
    public SessionData readSession(Path file) {
        return SessionFiles.read(file);
    }

    @Override
    public void writeSession(Path file, SessionData session) {
        SessionFiles.write(file, session);
    }

    private LoraAdapter adapter(Path dir) {
        return adapters.computeIfAbsent(dir.toAbsolutePath().normalize(), LoraAdapter::load);
    }

    /** The heatmaps' metrics: label, the engine's metric, and the unit shown on the color axis. */
    private record MetricLabel(String label, AdapterAnalysis.Metric metric, String unit) {}

    private static final List<MetricLabel> METRICS = List.of(
            new MetricLabel("delta norm", AdapterAnalysis.Metric.DELTA_NORM, "||s·BA||_F"),
            new MetricLabel("effective rank (90% energy)", AdapterAnalysis.Metric.EFFECTIVE_RANK_90, "directions"),
            new MetricLabel("effective rank (99% energy)", AdapterAnalysis.Metric.EFFECTIVE_RANK_99, "directions"),
            new MetricLabel("energy in top 10% entries", AdapterAnalysis.Metric.TOP10_ENERGY, "share"),
            new MetricLabel("energy in top 20% entries", AdapterAnalysis.Metric.TOP20_ENERGY, "share"),
            new MetricLabel("energy in top 50% entries", AdapterAnalysis.Metric.TOP50_ENERGY, "share"));
    static final String SIGN_CONFLICTS = "sign conflicts (pairs)";
    static final String COSINE = "cosine similarity (pairs)";

    private volatile AdapterAnalysis lastAnalysis;

    @Override
    public AnalysisData analyze(SessionData s, Progress progress) {
        ModelConfig cfg = requireBase(s);
        List<LoraAdapter> as = s.adapters().stream().map(r -> LoraAdapter.load(r.dir(), r.name())).toList();
        EngineProgress ep = new EngineProgress(progress);
        AdapterAnalysis a = Analyzer.analyze(as, cfg.numLayers(), ep, ep.token());
        lastAnalysis = a;
        List<String> filters = new ArrayList<>();
        filters.add(AnalysisData.ALL_MODULES);
        for (ModuleKind k : cfg.modules()) { // the base's family: Phi-3 has qkv_proj and gate_up_proj
            filters.add(k.peftName());
        }
        List<String> metrics = new ArrayList<>();
        Map<String, AnalysisData.Heatmap> maps = new LinkedHashMap<>();
        for (MetricLabel m : METRICS) {
            metrics.add(m.label());
            for (String f : filters) {
                ModuleKind kind = ModuleKind.ofPeftName(f).orElse(null);
                maps.put(AnalysisData.key(m.label(), f),
                        new AnalysisData.Heatmap(m.label(), f, a.adapters(), a.matrix(m.metric(), kind), m.unit(), false));
            }
        }
        if (a.adapters().size() > 1) {
            List<String> pairs = a.pairNames().stream().map(p -> p.replace("~", " × ")).toList();
            for (String label : List.of(SIGN_CONFLICTS, COSINE)) {
                metrics.add(label);
                AdapterAnalysis.PairMetric pm = label.equals(COSINE) ? AdapterAnalysis.PairMetric.COSINE : AdapterAnalysis.PairMetric.SIGN_CONFLICT;
                for (String f : filters) {
                    ModuleKind kind = ModuleKind.ofPeftName(f).orElse(null);
                    maps.put(AnalysisData.key(label, f), new AnalysisData.Heatmap(label, f, pairs, a.pairMatrix(pm, kind),
                            label.equals(COSINE) ? "cosine" : "share of entries", true));
                }
            }
        }
        progress.update(1, 1, "done");
        return new AnalysisData(cfg.numLayers(), metrics, filters, maps);
    }

    /** Examples per task the contribution map scores: enough for a stable mean, few enough for seconds. */
    static final int CONTRIBUTION_EXAMPLES = 32;

    /**
     * With task data: each layer's contribution per task and entry of the current merge (exact
     * ablation on the live merge, {@link ContributionMap}), one heatmap per task.
     */
    @Override
    public List<AnalysisData.Heatmap> contribution(SessionData s, Progress progress) {
        if (s.tasks().isEmpty()) {
            throw new LaemException("no task data in the session (File > Add Task Data...): the contribution map scores each task");
        }
        Map<String, List<Scorer.Example>> data = new LinkedHashMap<>();
        for (SessionData.TaskRef t : s.tasks()) {
            data.put(t.name(), sample(ScoreData.readJsonl(t.file()), CONTRIBUTION_EXAMPLES));
        }
        LiveMerge m = live(s, progress);
        EngineProgress ep = new EngineProgress(progress);
        try (LiveMerge.Use u = use(m, "the contribution map", progress, ep)) {
            ContributionMap map = ContributionMap.exact(m, recipe(s), data, new Scorer(u.decoder(), u.tokenizer()), ep, ep.token());
            List<AnalysisData.Heatmap> out = new ArrayList<>();
            for (String t : map.tasks()) {
                out.add(new AnalysisData.Heatmap(AnalysisData.CONTRIBUTION + t, AnalysisData.ALL_MODULES, map.columns(), map.of(t),
                        "loss rise (NLL/token)", false));
            }
            progress.update(1, 1, "done");
            return out;
        } catch (CancelledException e) {
            throw new java.util.concurrent.CancellationException();
        }
    }


    @Override
    public String describeModule(SessionData s, String adapterName, int layer, ModuleKind kind) {
        if (adapterName.equals(Recipe.SHARED) && s.adapters().stream().noneMatch(a -> a.name().equals(Recipe.SHARED))) {
            return "the shared module, layer " + layer + ": what the tasks have in common (the merge settings' shared module)";
        }
        SessionData.AdapterRef ref = s.adapters().stream().filter(a -> a.name().equals(adapterName)).findFirst()
                .orElseThrow(() -> new LaemException("no adapter named '" + adapterName + "' in the session"));
        LoraAdapter a = adapter(ref.dir());
        StringBuilder sb = new StringBuilder();
        sb.append(adapterName).append(", layer ").append(layer).append('\n');
        for (ModuleKind k : s.base() == null ? java.util.List.of(ModuleKind.values()) : requireBase(s).modules()) {
            if (kind != null && k != kind) {
                continue;
            }
            var m = a.module(new ModuleKey(layer, k));
            if (m.isEmpty()) {
                sb.append(String.format("%-9s not adapted%n", k.peftName()));
            } else {
                LoraModule lm = m.get();
                sb.append(String.format("%-9s r%d s%.3g [%dx%d] norm %.4g%n", k.peftName(), lm.rank(), lm.scale(), lm.out(), lm.in(),
                        lm.deltaNorm()));
                AdapterAnalysis an = lastAnalysis;
                var st = an == null ? null : an.deltas().getOrDefault(new ModuleKey(layer, k), Map.of()).get(adapterName);
                if (st != null) {
                    sb.append(String.format("          eff. rank %d/%d, top 10%% %.0f%%%n", st.effectiveRank90(), st.effectiveRank99(),
                            100 * st.top10Energy()));
                }
            }
        }
        sb.append("\nr: rank, s: scale, [out x in], norm: ||s·BA||_F, eff. rank: directions holding 90%/99% of the energy, "
                + "top 10%: energy share of the largest 10% of entries.\n");
        return sb.toString().stripTrailing();
    }

    /**
     * The live merge of the session's base model: opened on first use, replaced when the base changes.
     * A replaced one is freed once the job using it ends (its tensors are read in place until then).
     */
    private LiveMerge live(SessionData s, Progress progress) {
        Path base = requireBaseDir(s);
        synchronized (loading) { // one load at a time; the FX thread never takes this lock
            LiveMerge old;
            synchronized (this) {
                if (closed) {
                    throw new java.util.concurrent.CancellationException("the workbench is closing");
                }
                if (live != null && live.baseDir().equals(base) && !live.isClosed()) {
                    return live;
                }
                old = live;
                live = null;
                moa = null;
            }
            if (old != null) {
                old.closeWhenIdle();
            }
            progress.update(-1, 1, "loading the model");
            // CPU: the decode kernel's worker threads follow PyTorch's count, left as the process has it
            LiveMerge m = LiveMerge.open(base, Devices.resolve("auto"), 0, LiveMerge.DEFAULT_PLANS);
            synchronized (this) {
                if (!closed) {
                    live = m;
                    modelsLoaded++;
                    return m;
                }
            }
            m.close();
            throw new java.util.concurrent.CancellationException("the workbench is closing");
        }
    }

    /** The live merge as it is now (null before the first job needed it), for tests and diagnostics. */
    public synchronized LiveMerge liveMerge() {
        return live;
    }

    /** How many base models this backend has loaded so far. */
    public synchronized int modelsLoaded() {
        return modelsLoaded;
    }

    /**
     * Exclusive use of the live merge for one job: while another job holds it, the job waits and its
     * status says for what; cancelling the job ends the wait.
     */
    private static LiveMerge.Use use(LiveMerge m, String purpose, Progress progress, EngineProgress ep) {
        return m.use(purpose, ep.token(), msg -> progress.update(-1, 1, msg));
    }

    /** New weights go into the bank at once when the live merge shows the plan of these settings. */
    @Override
    public void applyWeights(SessionData s) {
        LiveMerge m;
        synchronized (this) {
            m = live;
        }
        if (m == null || s.base() == null || s.enabledAdapters().isEmpty() || !m.baseDir().equals(requireBaseDir(s))) {
            return;
        }
        Recipe r = s.toRecipe(true, null);
        try (LiveMerge.Use u = m.use("applying weights")) {
            if (MergePlan.Key.of(r).equals(m.shownPlan())) {
                m.show(r, ProgressListener.NONE, CancellationToken.NONE);
            }
        } catch (CancelledException e) {
            // the model was closed meanwhile: nothing to apply to
        }
    }

    @Override
    public Generation.Stats generate(SessionData s, Generation.Variant variant, String prompt,
            Generation.Settings settings, Consumer<String> tokens, Progress progress) {
        LiveMerge m = live(s, progress);
        EngineProgress ep = new EngineProgress(progress);
        String note = "";
        try (LiveMerge.Use u = use(m, "generating " + variant.label(), progress, ep)) {
            switch (variant.kind()) {
                case BASE -> m.showBase();
                case ADAPTER -> {
                    Recipe r = recipe(s);
                    m.show(adapters(r), single(r.adapterNames(), m.numLayers(), variant.adapter()));
                }
                case MERGE -> m.show(recipe(s), ep, ep.token());
                case MOA -> {
                    RoutedModel routed = moa(m, u, s, ep);
                    RoutedModel.Routing routing = routed.route(List.of(prompt), u, ep.token()).getFirst();
                    routed.activate(routing.label());
                    note = String.format(java.util.Locale.ROOT, "routed to %s (p %.2f)", routing.label(), routing.probability());
                }
            }
            Generator.Options o = settings.sample()
                    ? new Generator.Options(settings.maxTokens(), settings.temperature(), settings.topP(), 0, settings.seed(), List.of())
                    : Generator.Options.greedy(settings.maxTokens());
            HfTokenizer.Prompt sent = settings.chat()
                    ? u.tokenizer().chatPrompt(List.of(new ChatTemplate.Message("user", prompt)), java.util.Map.of())
                    : u.tokenizer().prompt(prompt);
            progress.update(-1, 1, "generating " + variant.label());
            Generator.Result res = new Generator(u.decoder(), u.tokenizer()).generate(sent.ids(), o, (id, text) -> {
                if (!text.isEmpty()) {
                    tokens.accept(text);
                }
            }, progress::isCancelled);
            return new Generation.Stats(res.tokens().length, res.decodeSeconds() + res.prefillSeconds(), note, sent.show());
        } catch (CancelledException e) {
            throw new java.util.concurrent.CancellationException();
        }
    }

    /** The recipe's adapters as they are (no redundancy removal, no shared module). */
    private static Recipe adapters(Recipe r) {
        return r.withRedundancy(Recipe.Redundancy.NONE).withShared(Recipe.Shared.NONE);
    }

    /** One entry at weight 1 everywhere, the others at 0. */
    private static MergeWeights single(List<String> entries, int layers, String name) {
        int i = entries.indexOf(name);
        if (i < 0) {
            throw new LaemException("adapter '" + name + "' is not enabled");
        }
        return MergeWeights.of(entries, layers, (e, l, g) -> e == i ? 1.0 : 0.0);
    }

    private RoutedModel moa;
    private List<String> moaKey;

    /**
     * The MoA router over the session's adapters, trained once per set of tasks on their prompts
     * (each task's adapter is the adapter of the same name).
     */
    private RoutedModel moa(LiveMerge m, LiveMerge.Use u, SessionData s, EngineProgress ep) {
        List<String> key = s.tasks().stream().map(t -> t.name() + "=" + t.file()).toList();
        synchronized (this) {
            if (moa != null && key.equals(moaKey)) {
                return moa;
            }
        }
        Map<String, List<Scorer.Example>> data = new LinkedHashMap<>();
        Map<String, Path> experts = new LinkedHashMap<>();
        for (SessionData.TaskRef t : s.tasks()) {
            data.put(t.name(), sample(ScoreData.readJsonl(routerData(t.file())), ROUTER_EXAMPLES));
            s.adapters().stream().filter(a -> a.name().equals(t.name())).findFirst().ifPresent(a -> experts.put(t.name(), a.dir()));
        }
        try {
            Path dir = Files.createTempDirectory("laem-router");
            Router r = MoaModel.train(u, data, experts, dir, ep, ep.token());
            RoutedModel routed = new RoutedModel(m, r, experts);
            synchronized (this) {
                moa = routed;
                moaKey = key;
            }
            return routed;
        } catch (IOException e) {
            throw new LaemException("cannot train the MoA router: " + e.getMessage());
        }
    }

    /** Prompts per task the router trains on: enough to tell tasks apart, few enough to train in seconds. */
    static final int ROUTER_EXAMPLES = 200;

    /** At most {@code n} examples, evenly spread over the list. */
    static <T> List<T> sample(List<T> all, int n) {
        if (all.size() <= n) {
            return all;
        }
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(all.get((int) ((long) i * all.size() / n)));
        }
        return out;
    }

    /** A task's training split next to its validation file (the demo kit's layout), else the file itself. */
    private static Path routerData(Path validation) {
        Path train = validation.resolveSibling(validation.getFileName().toString().replace("validation", "train"));
        return !train.equals(validation) && Files.isRegularFile(train) ? train : validation;
    }

    @Override
    public Optimization.Outcome optimize(SessionData session, Optimization.Settings settings,
            Consumer<Optimization.Event> events, Progress progress) {
        return OptimizerBridge.run(live(session, progress), session, settings, events, progress);
    }

    /**
     * The optimizer's comparison without a search: the base, the baselines tuned on validation, each
     * enabled adapter alone and the current merge, on the test split when every task has one, else on
     * validation ({@link io.laem.engine.optimize.LaemOptimizer#compare}, on the one loaded model).
     */
    @Override
    public Optimization.Comparison evaluate(SessionData s, Progress progress) {
        return OptimizerBridge.evaluate(live(s, progress), s, progress);
    }

    @Override
    public io.laem.engine.merge.MergeSummary exportAdapter(SessionData s, io.laem.engine.io.OutputTarget out, Progress progress) {
        EngineProgress ep = new EngineProgress(progress);
        return RecipeMerge.run(recipe(s), out, null, ep, ep.token());
    }

    @Override
    public io.laem.engine.merge.MergeSummary exportFullModel(SessionData s, io.laem.engine.io.OutputTarget out, Progress progress) {
        EngineProgress ep = new EngineProgress(progress);
        Recipe r = recipe(s);
        out = out.protecting(r.inputs());
        out.check();
        MergedAdapter merged = RecipeMerge.merge(r, ep, ep.token());
        MergeWriter.writeFullModel(r.baseModel(), merged, out, ep, ep.token());
        return merged.summary();
    }

    @Override
    public io.laem.engine.merge.MergeSummary export(SessionData s, String format, io.laem.engine.io.OutputTarget out, Progress progress) {
        EngineProgress ep = new EngineProgress(progress);
        return io.laem.engine.export.ExportFormats.of(format).export(recipe(s), out, ep, ep.token());
    }

    /** The recipe of the enabled adapters. */
    static Recipe recipe(SessionData s) {
        requireBase(s);
        if (s.enabledAdapters().isEmpty()) {
            throw new LaemException("no enabled adapter to merge");
        }
        return s.toRecipe(true, null);
    }

    private static Path requireBaseDir(SessionData s) {
        requireBase(s);
        return s.base().toAbsolutePath().normalize();
    }

    private static ModelConfig requireBase(SessionData s) {
        if (s.base() == null) {
            throw new LaemException("no base model open (File > Open Base Model...)");
        }
        return ModelConfig.read(s.base().resolve("config.json"));
    }

    /**
     * Frees the model once the job using it (cancelled by the caller) lets go of it; never waits, so
     * that the window can close at once.
     */
    @Override
    public void close() {
        LiveMerge m;
        synchronized (this) {
            closed = true;
            m = live;
            live = null;
            moa = null;
        }
        if (m != null) {
            // freeing a large model takes a moment: not on the caller's (the FX) thread
            Thread.ofPlatform().daemon().name("laem-free-model").start(m::closeWhenIdle);
        }
        adapters.clear();
    }
}
