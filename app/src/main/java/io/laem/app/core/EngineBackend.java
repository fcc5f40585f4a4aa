package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.analysis.AdapterAnalysis;
import io.laem.engine.analysis.Analyzer;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.ChatTemplate;
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
    private LiveModel live;

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
        for (ModuleKind k : ModuleKind.values()) {
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

    @Override
    public String describeModule(SessionData s, String adapterName, int layer, ModuleKind kind) {
        SessionData.AdapterRef ref = s.adapters().stream().filter(a -> a.name().equals(adapterName)).findFirst()
                .orElseThrow(() -> new LaemException("no adapter named '" + adapterName + "' in the session"));
        LoraAdapter a = adapter(ref.dir());
        StringBuilder sb = new StringBuilder();
        sb.append(adapterName).append(", layer ").append(layer).append('\n');
        for (ModuleKind k : ModuleKind.values()) {
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

    /** The loaded model, opened on first use and again when the base model changes. */
    private LiveModel live(SessionData s, Progress progress) {
        synchronized (this) {
            Path base = requireBaseDir(s);
            if (live == null || !live.baseDir().equals(base)) {
                if (live != null) {
                    live.close();
                }
                live = null;
                progress.update(0, 1, "loading the model");
                live = LiveModel.open(base);
            }
            return live;
        }
    }

    /** New weights go into the bank at once when the loaded model shows the merge of these settings. */
    @Override
    public void applyWeights(SessionData s) {
        LiveModel m;
        synchronized (this) {
            m = live;
        }
        if (m == null || s.base() == null || s.enabledAdapters().isEmpty()) {
            return;
        }
        synchronized (m.lock()) {
            if (m.isClosed()) {
                return;
            }
            Recipe r = s.toRecipe(true, null);
            if (io.laem.engine.merge.MergePlan.Key.of(r).equals(m.planKey())) {
                m.showMerge(r);
            }
        }
    }

    @Override
    public Generation.Stats generate(SessionData s, Generation.Variant variant, String prompt,
            Generation.Settings settings, Consumer<String> tokens, Progress progress) {
        LiveModel m = live(s, progress);
        String note = "";
        synchronized (m.lock()) {
            m.checkOpen();
            m.syncAdapters(s);
            switch (variant.kind()) {
                case BASE -> m.showBase();
                case ADAPTER -> m.showAdapter(variant.adapter());
                case MERGE -> {
                    Recipe r = recipe(s);
                    EngineProgress ep = new EngineProgress(progress);
                    m.syncPlan(r, ep, ep.token());
                    m.showMerge(r);
                }
                case MOA -> {
                    EngineProgress ep = new EngineProgress(progress);
                    var routed = m.moa(s, ep, ep.token());
                    var routing = routed.route(List.of(prompt), ep.token()).getFirst();
                    m.showBase();
                    routed.activate(routing.label());
                    note = String.format(java.util.Locale.ROOT, "routed to %s (p %.2f)", routing.label(), routing.probability());
                }
            }
            Generator.Options o = settings.sample()
                    ? new Generator.Options(settings.maxTokens(), settings.temperature(), settings.topP(), 0, settings.seed(), List.of())
                    : Generator.Options.greedy(settings.maxTokens());
            long[] ids = settings.chat()
                    ? m.tokenizer().encodeChat(List.of(new ChatTemplate.Message("user", prompt)))
                    : m.tokenizer().encode(prompt);
            Generator.Result res = m.generator().generate(ids, o, (id, text) -> {
                if (!text.isEmpty()) {
                    tokens.accept(text);
                }
            }, progress::isCancelled);
            return new Generation.Stats(res.tokens().length, res.decodeSeconds() + res.prefillSeconds(), note);
        }
    }

    @Override
    public Optimization.Outcome optimize(SessionData session, Optimization.Settings settings,
            Consumer<Optimization.Event> events, Progress progress) {
        return OptimizerBridge.run(session, settings, events, progress);
    }

    /**
     * Exact match and mean NLL per token on every task's validation data for the base, each enabled
     * adapter alone, their uniform average and the current merge, on the loaded model (only the
     * bank's coefficients change between them).
     */
    @Override
    public Optimization.Comparison evaluate(SessionData s, Progress progress) {
        if (s.tasks().isEmpty()) {
            throw new LaemException("no task data in the session (File > Add Task Data...)");
        }
        LiveModel m = live(s, progress);
        Recipe r = recipe(s);
        List<String> adapters = s.enabledAdapters();
        List<String> methods = new ArrayList<>(List.of("base"));
        methods.addAll(adapters);
        methods.addAll(List.of("uniform", "LAEM (current weights)"));
        Map<String, List<Scorer.Example>> data = new LinkedHashMap<>();
        for (SessionData.TaskRef t : s.tasks()) {
            data.put(t.name(), ScoreData.readJsonl(t.file()));
        }
        List<String> tasks = List.copyOf(data.keySet());
        List<String> columns = new ArrayList<>();
        for (String t : tasks) {
            columns.add(t + " EM");
            columns.add(t + " NLL");
        }
        double[][] v = new double[methods.size()][columns.size()];
        synchronized (m.lock()) {
            m.checkOpen();
            m.syncAdapters(s);
            EngineProgress ep = new EngineProgress(progress);
            m.syncPlan(r, ep, ep.token());
            Evaluator evaluator = new Evaluator(m.decoder(), m.tokenizer());
            for (int i = 0; i < methods.size(); i++) {
                progress.update(i, methods.size(), methods.get(i));
                if (progress.isCancelled()) {
                    throw new java.util.concurrent.CancellationException();
                }
                if (i == 0) {
                    m.showBase();
                } else if (i <= adapters.size()) {
                    m.showAdapter(adapters.get(i - 1));
                } else if (i == adapters.size() + 1) {
                    m.showBase();
                    for (String a : adapters) {
                        m.decoder().bank().setAll(io.laem.engine.optimize.BankCoefficients.bankName(LiveModel.RAW, a), 1.0 / adapters.size());
                    }
                } else {
                    m.showMerge(r);
                }
                EvalReport rep = evaluator.evaluate(data);
                for (int t = 0; t < tasks.size(); t++) {
                    v[i][2 * t] = rep.tasks().get(tasks.get(t)).exactMatch();
                    v[i][2 * t + 1] = rep.tasks().get(tasks.get(t)).meanNll();
                }
            }
        }
        return new Optimization.Comparison("validation", columns, methods, v);
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

    /** Frees the model once the job using it (already cancelled by the caller) lets go of it. */
    @Override
    public void close() {
        LiveModel m;
        synchronized (this) {
            m = live;
            live = null;
        }
        if (m != null) {
            synchronized (m.lock()) {
                m.close();
            }
        }
        adapters.clear();
    }
}
