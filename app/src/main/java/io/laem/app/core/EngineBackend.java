package io.laem.app.core;

import io.laem.engine.LaemException;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraAdapter;
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

    /**
     * Exact concatenation of the enabled adapters with the per-layer weights baked into B: the
     * merged delta sum_t w_l,t * s_t B_t A_t of every module, as one adapter of rank sum r_t.
     */
    @Override
    public void exportAdapter(SessionData s, Path out, Progress progress) {
        ModelConfig cfg = requireBase(s);
        List<SessionData.AdapterRef> refs = s.adapters().stream().filter(SessionData.AdapterRef::enabled).toList();
        if (refs.isEmpty()) {
            throw new LaemException("no enabled adapter to export");
        }
        List<LoraAdapter> as = refs.stream().map(r -> adapter(r.dir())).toList();
        List<LoraModule> merged = new ArrayList<>();
        for (int l = 0; l < cfg.numLayers(); l++) {
            progress.update(l, cfg.numLayers(), "layer " + l);
            if (progress.isCancelled()) {
                throw new java.util.concurrent.CancellationException();
            }
            for (ModuleKind k : ModuleKind.values()) {
                ModuleKey key = new ModuleKey(l, k);
                List<LoraModule> parts = new ArrayList<>();
                List<Double> ws = new ArrayList<>();
                for (int t = 0; t < as.size(); t++) {
                    var m = as.get(t).module(key);
                    if (m.isPresent()) {
                        parts.add(m.get());
                        ws.add(s.weights().at(refs.get(t).name(), l, k));
                    }
                }
                if (!parts.isEmpty()) {
                    merged.add(concat(key, parts, ws));
                }
            }
        }
        AdapterWriter.write(out, AdapterWriter.configFor(merged, s.base().toString()), merged, DType.F32);
        progress.update(1, 1, "written");
    }

    private static LoraModule concat(ModuleKey key, List<LoraModule> parts, List<Double> ws) {
        int in = parts.get(0).in();
        int outF = parts.get(0).out();
        int r = parts.stream().mapToInt(LoraModule::rank).sum();
        float[] a = new float[r * in];
        float[] b = new float[outF * r];
        int off = 0;
        for (int p = 0; p < parts.size(); p++) {
            LoraModule m = parts.get(p);
            System.arraycopy(m.a(), 0, a, off * in, m.rank() * in);
            double f = m.scale() * ws.get(p);
            for (int o = 0; o < outF; o++) {
                for (int k = 0; k < m.rank(); k++) {
                    b[o * r + off + k] = (float) (f * m.b()[o * m.rank() + k]);
                }
            }
            off += m.rank();
        }
        return new LoraModule(key, r, in, outF, a, b, 1.0);
    }

    @Override
    public void exportFullModel(SessionData session, Path out, Progress progress) {
        throw new LaemException("merged full-model export is not part of this build yet");
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
