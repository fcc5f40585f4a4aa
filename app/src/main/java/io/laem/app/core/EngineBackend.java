package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The workbench's view of the engine, over the engine's packages. */
public final class EngineBackend implements Backend {
    static final String DELTA_NORM = "delta norm";

    /** Adapters read once per folder: analysis and details reuse them. */
    private final Map<Path, LoraAdapter> adapters = new ConcurrentHashMap<>();

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
        int n = 0;
        try {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    if (!Json.JSON.readTree(line).isObject()) {
                        throw new LaemException(file + ": line " + (n + 1) + " is not a JSON object");
                    }
                    n++;
                }
            }
        } catch (IOException e) {
            throw new LaemException(file + ": cannot read task data: " + e.getMessage());
        }
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

    @Override
    public AnalysisData analyze(SessionData s, Progress progress) {
        ModelConfig cfg = requireBase(s);
        int layers = cfg.numLayers();
        List<SessionData.AdapterRef> refs = s.adapters();
        List<String> names = refs.stream().map(SessionData.AdapterRef::name).toList();
        List<String> filters = new ArrayList<>();
        filters.add(AnalysisData.ALL_MODULES);
        for (ModuleKind k : ModuleKind.values()) {
            filters.add(k.peftName());
        }
        Map<String, AnalysisData.Heatmap> maps = new LinkedHashMap<>();
        double[][][] norms = new double[filters.size()][layers][refs.size()];
        for (int t = 0; t < refs.size(); t++) {
            if (progress.isCancelled()) {
                throw new java.util.concurrent.CancellationException();
            }
            progress.update(t, refs.size(), refs.get(t).name());
            LoraAdapter a = adapter(refs.get(t).dir());
            for (int l = 0; l < layers; l++) {
                double all = 0;
                boolean any = false;
                for (ModuleKind k : ModuleKind.values()) {
                    var m = a.module(new ModuleKey(l, k));
                    double v = m.map(LoraModule::deltaNorm).orElse(Double.NaN);
                    norms[k.ordinal() + 1][l][t] = v;
                    if (m.isPresent()) {
                        all += v * v;
                        any = true;
                    }
                }
                norms[0][l][t] = any ? Math.sqrt(all) : Double.NaN;
            }
        }
        for (int f = 0; f < filters.size(); f++) {
            maps.put(AnalysisData.key(DELTA_NORM, filters.get(f)),
                    new AnalysisData.Heatmap(DELTA_NORM, filters.get(f), names, norms[f], "||s·BA||_F"));
        }
        progress.update(1, 1, "done");
        return new AnalysisData(layers, List.of(DELTA_NORM), filters, maps);
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
                sb.append(String.format("  %-9s  (not adapted)%n", k.peftName()));
            } else {
                LoraModule lm = m.get();
                sb.append(String.format("  %-9s  rank %d, scale %.3g, [%d x %d], delta norm %.4g%n",
                        k.peftName(), lm.rank(), lm.scale(), lm.out(), lm.in(), lm.deltaNorm()));
            }
        }
        return sb.toString().stripTrailing();
    }

    @Override
    public void applyWeights(SessionData session) {
        // the live model arrives with the inference engine; until then weights only reach exports
    }

    @Override
    public Generation.Stats generate(SessionData session, Generation.Variant variant, String prompt,
            Generation.Settings settings, Consumer<String> tokens, Progress progress) {
        throw new LaemException("generation needs the inference engine, which this build does not have yet");
    }

    @Override
    public Optimization.Outcome optimize(SessionData session, Optimization.Settings settings,
            Consumer<Optimization.Event> events, Progress progress) {
        throw new LaemException("the optimizer is not part of this build yet");
    }

    @Override
    public Optimization.Comparison evaluate(SessionData session, Progress progress) {
        throw new LaemException("evaluation is not part of this build yet");
    }

    @Override
    public void exportAdapter(SessionData s, Path out, Progress progress) {
        EngineProgress ep = new EngineProgress(progress);
        RecipeMerge.run(recipe(s), out, null, ep, ep.token());
    }

    @Override
    public void exportFullModel(SessionData s, Path out, Progress progress) {
        EngineProgress ep = new EngineProgress(progress);
        Recipe r = recipe(s);
        MergedAdapter merged = RecipeMerge.merge(r, ep, ep.token());
        MergeWriter.writeFullModel(r.baseModel(), merged, out, ep, ep.token());
    }

    /** The recipe of the enabled adapters. */
    static Recipe recipe(SessionData s) {
        requireBase(s);
        if (s.enabledAdapters().isEmpty()) {
            throw new LaemException("no enabled adapter to merge");
        }
        return s.toRecipe(true, null);
    }

    private static ModelConfig requireBase(SessionData s) {
        if (s.base() == null) {
            throw new LaemException("no base model open (File > Open Base Model...)");
        }
        return ModelConfig.read(s.base().resolve("config.json"));
    }

    @Override
    public void close() {
        adapters.clear();
    }
}
