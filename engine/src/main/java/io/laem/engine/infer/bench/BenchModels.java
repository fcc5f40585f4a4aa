package io.laem.engine.infer.bench;

import io.laem.engine.export.GgufLoraFormat;
import io.laem.engine.export.GgufModelExport;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.io.DType;
import io.laem.engine.io.GgmlType;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The real-size benchmark models, written once into a cache folder and reused: a model of a named shape in a
 * dtype (random N(0, 0.02) weights; llama-8b: a sparse file of zero weights), four random rank-16 adapters
 * (alpha 32, all linear modules, F32), and for the llama.cpp peer the same weights and adapters as GGUF files written by
 * the product's own exports ({@link GgufModelExport}, {@link GgufLoraFormat}; the model gets a character-level
 * tokenizer, which the GGUF vocabulary needs: the benchmark feeds token ids).
 */
public final class BenchModels {
    public static final int ADAPTERS = 4;
    public static final int RANK = 16;
    public static final double ALPHA = 32;

    /** The folders and files of one benchmark model. */
    public record Files(Path model, List<Path> adapters, Path gguf, List<Path> ggufLoras) {}

    /** The benchmark models' tokenizer (character-level; the benchmarks feed token ids, never text). */
    private static final String TOKENIZER_CHARS = "abcdefghijklmnopqrstuvwxyz ";

    private BenchModels() {}

    /** The default cache: {@code $LAEM_BENCH_CACHE} or {@code ~/.cache/laem/bench}. */
    public static Path defaultCache() {
        String env = System.getenv("LAEM_BENCH_CACHE");
        return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "laem", "bench");
    }

    /** The model's files under {@code cache}, written where missing; GGUF files only when {@code gguf}. */
    public static Files ensure(String name, DType dtype, Path cache, boolean gguf, Consumer<String> log) {
        ModelSpec spec = ModelSpec.named(name).withDtype(dtype);
        Path root = cache.resolve(name + "-" + dtype.name().toLowerCase());
        Path model = root.resolve("model");
        try {
            java.nio.file.Files.createDirectories(root);
            if (!java.nio.file.Files.isDirectory(model)) {
                boolean sparse = name.equals("llama-8b");
                log.accept("writing " + (sparse ? "a sparse zero-weight " : "a random ") + name + " model in " + dtype + " to " + model
                        + " (once)");
                if (sparse) {
                    SyntheticModels.writeZeroModel(model, spec);
                } else {
                    SyntheticModels.writeModelStreamed(model, spec, 1);
                }
            }
            if (!java.nio.file.Files.exists(model.resolve("tokenizer.json"))) {
                CharTokenizer.write(model, TOKENIZER_CHARS);
            }
            ModelConfig config;
            try (HfModel hf = HfModel.open(model)) {
                config = hf.config();
            }
            List<Path> adapters = new ArrayList<>();
            List<Path> loras = new ArrayList<>();
            for (int a = 0; a < ADAPTERS; a++) {
                Path dir = root.resolve("adapter" + a);
                AdapterSpec as = AdapterSpec.allLinear(RANK, ALPHA);
                if (!java.nio.file.Files.isDirectory(dir)) {
                    log.accept("writing random rank-" + RANK + " adapter " + a + " to " + dir);
                    SyntheticModels.writeAdapter(dir, config, as, 100 + a, "bench");
                }
                adapters.add(dir);
                Path lora = root.resolve("adapter" + a + ".gguf");
                if (gguf && !java.nio.file.Files.exists(lora)) {
                    java.util.Map<io.laem.engine.model.ModuleKey, LoraModule> modules = new java.util.LinkedHashMap<>();
                    SyntheticModels.randomModules(config, as, 100 + a).forEach(m -> modules.put(m.key(), m));
                    GgufLoraFormat.write(modules, config, GgmlType.F32, lora);
                }
                loras.add(lora);
            }
            Path ggufModel = root.resolve("model.gguf");
            if (gguf && !java.nio.file.Files.exists(ggufModel)) {
                log.accept("writing the same weights as GGUF for llama.cpp to " + ggufModel);
                GgufModelExport.write(model, ggufModel, GgmlType.valueOf(dtype.name()));
            }
            return new Files(model, adapters, ggufModel, loras);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
