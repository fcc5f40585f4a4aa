package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.LaemException;
import io.laem.engine.io.DType;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.util.Map;

/**
 * The merged adapter as a GGUF LoRA for llama.cpp (and Ollama's ADAPTER, LM Studio), laid out as
 * llama.cpp's convert_lora_to_gguf.py writes one: {@code general.type = adapter},
 * {@code adapter.type = lora}, {@code adapter.lora.alpha}, the base's {@code general.architecture},
 * and per module {@code blk.N.<tensor>.weight.lora_a} ([rank, in]) and {@code .lora_b} ([out, rank]).
 * llama.cpp applies each pair with {@code scale * alpha / rank} (rank: that tensor's own), so every
 * B is written times {@code rank / alpha}: with llama.cpp's adapter scale 1.0 the delta is the merge's
 * exactly, per-layer weights, shared module and redundancy removal included. For the llama
 * architecture the rows of q/k's B are permuted as the converter permutes q/k weights.
 */
public final class GgufLoraFormat implements ExportFormat {
    public static final String NAME = "gguf-lora";
    public static final String FILE = "adapter.gguf";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "GGUF LoRA adapter for llama.cpp / Ollama / LM Studio (per-layer weights baked in), with an Ollama Modelfile";
    }

    @Override
    public void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel) {
        ModelConfig base = ModelConfig.read(recipe.baseModel().resolve("config.json"));
        GgufWriter w = writer(merged.modules(), base, GgmlType.valueOf(ggufType(recipe.output().dtype())), cancel);
        String report = GgufModelFormat.report(merged, recipe, method);
        out.protecting(recipe.inputs()).write(tmp -> {
            w.writeInto(tmp.resolve(FILE));
            Files.writeString(tmp.resolve(OllamaModelfile.FILE), OllamaModelfile.forAdapter(recipe.baseModel(), FILE));
            Files.writeString(tmp.resolve(MergeWriter.REPORT), report);
        });
    }

    /**
     * Adapter modules (each with its own scale) as a GGUF LoRA file for a base, refused where a file exists (see
     * {@link OutputTarget}): what {@link #write(MergedAdapter, Recipe, OutputTarget, String, ProgressListener,
     * CancellationToken)} writes without the Modelfile and report (the benchmark's llama.cpp peer loads it).
     */
    public static void write(Map<ModuleKey, LoraModule> modules, ModelConfig base, GgmlType type, java.nio.file.Path file) {
        GgufWriter w = writer(modules, base, type, CancellationToken.NONE);
        OutputTarget.file(file).write(w::writeInto);
    }

    static GgufWriter writer(Map<ModuleKey, LoraModule> modules, ModelConfig base, GgmlType type, CancellationToken cancel) {
        if (modules.isEmpty()) {
            throw new LaemException("nothing to export: every module of the merge is empty");
        }
        GgufArchitecture arch = GgufArchitecture.of(base);
        double alpha = modules.values().iterator().next().rank(); // the common rank: its B is written as it is
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch.name());
        w.putString("general.type", "adapter");
        w.putString("general.name", "laem-merge");
        w.putString("adapter.type", "lora");
        w.putF32("adapter.lora.alpha", alpha);
        for (LoraModule m : modules.values()) {
            if (m.rank() == 0) {
                continue;
            }
            String name = GgufArchitecture.tensorName(m.key()) + ".weight";
            int heads = arch.permutes(m.key().kind()) ? GgufArchitecture.heads(base, m.key().kind()) : 0;
            double factor = m.scale() * m.rank() / (float) alpha;
            int rank = m.rank();
            w.addTensor(name + ".lora_a", type, new long[] {rank, m.in()}, sink -> {
                cancel.check();
                sink.accept(m.a());
            });
            w.addTensor(name + ".lora_b", type, new long[] {m.out(), rank}, sink -> {
                float[] row = new float[rank];
                int headRows = heads > 0 ? m.out() / heads : 0;
                for (int r = 0; r < m.out(); r++) {
                    int src = heads > 0 ? GgufArchitecture.sourceRow(r, headRows) : r;
                    for (int j = 0; j < rank; j++) {
                        row[j] = factor == 1.0 ? m.b()[src * rank + j] : (float) (factor * m.b()[src * rank + j]);
                    }
                    sink.accept(row);
                }
            });
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
