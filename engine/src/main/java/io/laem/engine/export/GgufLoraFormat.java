package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.LaemException;
import io.laem.engine.io.DType;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.ConcatenatedModule;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.StreamingExactMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The merged adapter as a GGUF LoRA for llama.cpp (and Ollama's ADAPTER, LM Studio), laid out as
 * llama.cpp's convert_lora_to_gguf.py writes one: {@code general.type = adapter},
 * {@code adapter.type = lora}, {@code adapter.lora.alpha}, the base's {@code general.architecture},
 * and per module {@code blk.N.<tensor>.weight.lora_a} ([rank, in]) and {@code .lora_b} ([out, rank]).
 * llama.cpp applies each pair with {@code scale * alpha / rank} (rank: that tensor's own), so every
 * B is written times {@code rank / alpha}: with llama.cpp's adapter scale 1.0 the delta is the merge's
 * exactly, per-layer weights, shared module and redundancy removal included. For the llama
 * architecture the rows of q/k's B are permuted as the converter permutes q/k weights.
 *
 * <p>With {@link LayerGroups} ({@code gguf-lora:groups=4}) it also writes one adapter per group of
 * layers, {@code adapter-layers-F-L.gguf}, holding that group's modules of the same merge: loaded
 * together at scale 1 they are the whole adapter, and llama-server re-weights each group at run time
 * ({@code POST /lora-adapters}); a group at scale 0 is the merge without those layers.
 */
public final class GgufLoraFormat implements ExportFormat {
    public static final String NAME = "gguf-lora";
    public static final String FILE = "adapter.gguf";
    /** The option that asks for per-group adapters: {@code gguf-lora:groups=SPEC}. */
    public static final String GROUPS = "groups=";
    private final LayerGroups groups;

    /** The whole merge as one adapter. */
    public GgufLoraFormat() {
        this(null);
    }

    /** The whole merge plus one adapter per layer group ({@code groups} null: none). */
    public GgufLoraFormat(LayerGroups groups) {
        this.groups = groups;
    }

    /** The file of one group's adapter, e.g. {@code adapter-layers-0-7.gguf}. */
    public static String groupFile(LayerGroups.Range r) {
        return "adapter-" + r.label() + ".gguf";
    }

    @Override
    public String name() {
        return groups == null ? NAME : NAME + ":" + GROUPS + groups.spec();
    }

    @Override
    public String summary() {
        return groups == null
                ? "GGUF LoRA adapter for llama.cpp / Ollama / LM Studio (per-layer weights baked in), with an Ollama Modelfile"
                : "GGUF LoRA adapter plus one per layer group (" + groups.spec() + (groups.spec().contains("-") ? "" : " groups")
                        + ") for llama-server's /lora-adapters re-weighting, with an Ollama Modelfile";
    }

    /** An exact merge streams from the inputs to the files ({@link StreamingExactMerge}: the same bytes, no factor on the heap). */
    @Override
    public MergeSummary export(Recipe recipe, OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        if (!StreamingExactMerge.applies(recipe)) {
            return ExportFormat.super.export(recipe, out, progress, cancel);
        }
        out.protecting(recipe.inputs()).check(); // refused before the work, not after it
        try (StreamingExactMerge merge = StreamingExactMerge.open(recipe)) {
            write(merge.modules(), merge.summary(), recipe, out, null, recipe.output().dtype(), progress, cancel);
            return merge.summary();
        }
    }

    @Override
    public void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel) {
        write(concatenated(merged.modules()), merged.summary(), recipe, out, method, null, progress, cancel);
    }

    /** The files of a merge's modules; A stretches stored as {@code stored} (null: none) are copied as they are. */
    private void write(SortedMap<ModuleKey, ConcatenatedModule> modules, MergeSummary summary, Recipe recipe, OutputTarget out, String method,
                       DType stored, ProgressListener progress, CancellationToken cancel) {
        ModelConfig base = ModelConfig.read(recipe.baseModel().resolve("config.json"));
        GgmlType type = GgmlType.valueOf(ggufType(recipe.output().dtype()));
        // the group files hold every module once more
        Progress p = new Progress(progress, modules.size() * (groups == null ? 1L : 2L));
        GgufWriter w = writer(modules, base, type, "laem-merge", stored, p, cancel);
        Map<String, GgufWriter> perGroup = new LinkedHashMap<>();
        if (groups != null) {
            for (LayerGroups.Range r : groups.ranges(base.numLayers())) {
                SortedMap<ModuleKey, ConcatenatedModule> part = new TreeMap<>();
                modules.forEach((k, m) -> {
                    if (r.contains(k.layer())) {
                        part.put(k, m);
                    }
                });
                if (part.values().stream().allMatch(m -> m.rank() == 0)) {
                    throw new LaemException("groups=" + groups.spec() + ": layers " + r.first() + "-" + r.last() + " hold no module of the merge");
                }
                perGroup.put(groupFile(r), writer(part, base, type, "laem-merge " + r.label(), stored, p, cancel));
            }
        }
        String report = GgufModelFormat.report(summary, recipe, method);
        out.protecting(recipe.inputs()).write(tmp -> {
            w.writeInto(tmp.resolve(FILE));
            for (var g : perGroup.entrySet()) {
                g.getValue().writeInto(tmp.resolve(g.getKey()));
            }
            Files.writeString(tmp.resolve(OllamaModelfile.FILE), OllamaModelfile.forAdapter(recipe.baseModel(), FILE));
            Files.writeString(tmp.resolve(MergeWriter.REPORT), report);
        });
        progress.progress(p.total, p.total, "written");
    }

    /**
     * Adapter modules (each with its own scale) as a GGUF LoRA file for a base, refused where a file exists (see
     * {@link OutputTarget}): what {@link #write(MergedAdapter, Recipe, OutputTarget, String, ProgressListener,
     * CancellationToken)} writes without the Modelfile and report (the benchmark's llama.cpp peer loads it).
     */
    public static void write(Map<ModuleKey, LoraModule> modules, ModelConfig base, GgmlType type, java.nio.file.Path file) {
        GgufWriter w = writer(concatenated(modules), base, type, "laem-adapter", null, new Progress(ProgressListener.NONE, modules.size()),
                CancellationToken.NONE);
        OutputTarget.file(file).write(w::writeInto);
    }

    /** Modules on the heap, each written as it is. */
    private static SortedMap<ModuleKey, ConcatenatedModule> concatenated(Map<ModuleKey, LoraModule> modules) {
        SortedMap<ModuleKey, ConcatenatedModule> out = new TreeMap<>();
        modules.forEach((k, m) -> out.put(k, ConcatenatedModule.of(m)));
        return out;
    }

    /** Modules written so far, of {@code total} over every file of the export. */
    private static final class Progress {
        final ProgressListener listener;
        final long total;
        long done;

        Progress(ProgressListener listener, long total) {
            this.listener = listener;
            this.total = total;
        }
    }

    static GgufWriter writer(SortedMap<ModuleKey, ConcatenatedModule> modules, ModelConfig base, GgmlType type, String generalName, DType stored,
                             Progress progress, CancellationToken cancel) {
        if (modules.isEmpty()) {
            throw new LaemException("nothing to export: every module of the merge is empty");
        }
        GgufArchitecture arch = GgufArchitecture.of(base);
        // the first non-empty module's rank: its B is written as it is
        double alpha = modules.values().stream().mapToInt(ConcatenatedModule::rank).filter(r -> r > 0).findFirst().orElse(1);
        GgufWriter w = new GgufWriter();
        ConcatenatedModule.Scratch scratch = new ConcatenatedModule.Scratch();
        w.putString("general.architecture", arch.name());
        w.putString("general.type", "adapter");
        w.putString("general.name", generalName);
        w.putString("adapter.type", "lora");
        w.putF32("adapter.lora.alpha", alpha);
        for (ConcatenatedModule m : modules.values()) {
            if (m.rank() == 0) {
                continue;
            }
            String name = GgufArchitecture.tensorName(m.key()) + ".weight";
            int heads = arch.permutes(m.key().kind()) ? GgufArchitecture.heads(base, m.key().kind()) : 0;
            double factor = m.scale() * m.rank() / (float) alpha * arch.queryWeightFactor(base, m.key().kind());
            w.addTensor(name + ".lora_a", type, new long[] {m.rank(), m.in()}, sink -> {
                cancel.check();
                progress.listener.progress(progress.done++, progress.total, "writing " + generalName + " " + m.key());
                m.writeA(stored, scratch, sink);
            });
            int headRows = heads > 0 ? m.out() / heads : 0;
            w.addTensor(name + ".lora_b", type, new long[] {m.out(), m.rank()},
                    sink -> m.writeB(factor, headRows, r -> GgufArchitecture.sourceRow(r, headRows), scratch, sink));
        }
        return w;
    }

    /** The GGUF type of a recipe's output dtype. */
    private static String ggufType(DType d) {
        return switch (d) {
            case F32 -> "F32";
            case F16 -> "F16";
            case BF16 -> "BF16";
            default -> throw new LaemException("output dtype " + d + " has no GGUF type");
        };
    }

}
