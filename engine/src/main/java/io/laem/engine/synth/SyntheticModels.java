package io.laem.engine.synth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random HF models and PEFT adapters written through the project's own writers: fixtures for tests
 * and benchmarks (mergekit-style tiny random models). Deterministic for a seed.
 */
public final class SyntheticModels {
    private SyntheticModels() {}

    public static ObjectNode configJson(ModelSpec s) {
        ObjectNode c = Json.JSON.createObjectNode();
        String arch = switch (s.modelType()) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        };
        c.putArray("architectures").add(arch);
        c.put("model_type", s.modelType());
        c.put("hidden_size", s.hiddenSize());
        c.put("intermediate_size", s.intermediateSize());
        c.put("num_hidden_layers", s.numLayers());
        c.put("num_attention_heads", s.numHeads());
        c.put("num_key_value_heads", s.numKvHeads());
        c.put("head_dim", s.headDim());
        c.put("vocab_size", s.vocabSize());
        c.put("max_position_embeddings", 512);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", s.ropeTheta());
        c.put("tie_word_embeddings", s.tieWordEmbeddings());
        c.put("hidden_act", "silu");
        c.put("attention_bias", s.modelType().equals("qwen2"));
        c.put("torch_dtype", switch (s.dtype()) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        });
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        return c;
    }

    /** A tensor of a synthetic model: norm weights are near 1, everything else N(0, 0.02). */
    private record TensorSpec(String name, long[] shape, boolean norm) {
        int count() {
            return Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact));
        }
    }

    /** Every tensor of a spec's model, in file order. */
    private static List<TensorSpec> tensors(ModelSpec s) {
        ModelConfig cfg = ModelConfig.parse("synthetic", configJson(s));
        ArchitectureTemplate t = cfg.template();
        List<TensorSpec> out = new ArrayList<>();
        out.add(new TensorSpec(t.embedTokens(), new long[] {s.vocabSize(), s.hiddenSize()}, false));
        for (int l = 0; l < s.numLayers(); l++) {
            out.add(new TensorSpec(t.inputNorm(l), new long[] {s.hiddenSize()}, true));
            out.add(new TensorSpec(t.postAttentionNorm(l), new long[] {s.hiddenSize()}, true));
            for (ModuleKind k : ModuleKind.values()) {
                ModuleKey key = new ModuleKey(l, k);
                out.add(new TensorSpec(t.weight(key), new long[] {k.outFeatures(cfg), k.inFeatures(cfg)}, false));
                if (cfg.hasBias(k)) {
                    out.add(new TensorSpec(t.bias(key), new long[] {k.outFeatures(cfg)}, false));
                }
            }
            if (t.hasQkNorm()) {
                out.add(new TensorSpec(t.qNorm(l), new long[] {s.headDim()}, true));
                out.add(new TensorSpec(t.kNorm(l), new long[] {s.headDim()}, true));
            }
        }
        out.add(new TensorSpec(t.finalNorm(), new long[] {s.hiddenSize()}, true));
        if (!s.tieWordEmbeddings()) {
            out.add(new TensorSpec(t.lmHead(), new long[] {s.vocabSize(), s.hiddenSize()}, false));
        }
        return out;
    }

    /** Writes config.json and model.safetensors with N(0, 0.02) weights (norm weights near 1). */
    public static void writeModel(Path dir, ModelSpec s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (TensorSpec t : tensors(s)) {
            w.add(t.name(), s.dtype(), t.shape(), t.norm() ? nearOne(rnd, t.count()) : normal(rnd, t.count(), 0.02));
        }
        write(dir, s, w);
    }

    /**
     * The same kind of model written tensor by tensor in chunks (each tensor from its own seed), so a model of
     * billions of parameters is written without holding it: for benchmarks of real-size shapes.
     */
    public static void writeModelStreamed(Path dir, ModelSpec s, long seed) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        List<TensorSpec> all = tensors(s);
        for (int i = 0; i < all.size(); i++) {
            TensorSpec t = all.get(i);
            long tensorSeed = seed * 1_000_003L + i;
            w.addProduced(t.name(), s.dtype(), t.shape(), sink -> {
                SplittableRandom rnd = new SplittableRandom(tensorSeed);
                int total = t.count();
                for (int from = 0; from < total; from += 1 << 20) {
                    int n = Math.min(1 << 20, total - from);
                    sink.accept(t.norm() ? nearOne(rnd, n) : normal(rnd, n, 0.02), 0, n);
                }
            });
        }
        write(dir, s, w);
    }

    /**
     * The model with every weight zero, as a sparse file: the safetensors header, then the file's length set past the
     * data (holes read as zeros, nothing written): the shapes of a large model for load and memory tests without its
     * bytes on disk.
     */
    public static void writeZeroModel(Path dir, ModelSpec s) {
        ObjectNode header = Json.JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (TensorSpec t : tensors(s)) {
            long bytes = (long) t.count() * s.dtype().bytes();
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", s.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            e.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] h = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(h, json.length, padded, (byte) ' ');
        long data = offset;
        String config = configJson(s).toPrettyString();
        OutputTarget.folder(dir).force(true).write(tmp -> {
            Files.writeString(tmp.resolve("config.json"), config);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tmp.resolve("model.safetensors").toFile(), "rw")) {
                f.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
                f.write(h);
                f.setLength(8L + h.length + data);
            }
        });
    }

    private static void write(Path dir, ModelSpec s, SafetensorsWriter w) {
        String json = configJson(s).toPrettyString();
        OutputTarget.folder(dir).force(true).write(tmp -> { // fixtures: an earlier laem-written model there is replaced
            Files.writeString(tmp.resolve("config.json"), json);
            w.writeDirect(tmp.resolve("model.safetensors"));
        });
    }

    /** PEFT adapter_config.json for a spec. */
    public static ObjectNode adapterConfigJson(AdapterSpec a, String baseModel) {
        ObjectNode n = Json.JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", baseModel);
        n.put("r", a.r());
        n.put("lora_alpha", a.alpha());
        n.put("lora_dropout", 0.0);
        n.put("bias", "none");
        n.put("use_rslora", a.useRslora());
        n.put("use_dora", false);
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        ArrayNode tm = n.putArray("target_modules");
        a.targets().forEach(k -> tm.add(k.peftName()));
        ObjectNode rp = n.putObject("rank_pattern");
        a.rankPattern().forEach(rp::put);
        ObjectNode ap = n.putObject("alpha_pattern");
        a.alphaPattern().forEach(ap::put);
        if (a.layers() != null) {
            ArrayNode lt = n.putArray("layers_to_transform");
            a.layers().forEach(lt::add);
        } else {
            n.putNull("layers_to_transform");
        }
        return n;
    }

    /** Random factors for an adapter on a base config (B is non-zero, unlike PEFT's init). */
    public static List<LoraModule> randomModules(ModelConfig base, AdapterSpec a, long seed) {
        ObjectNode cfgJson = adapterConfigJson(a, "synthetic");
        LoraConfig lc = LoraConfig.parse("synthetic", cfgJson);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LoraModule> mods = new ArrayList<>();
        for (ModuleKey key : ArchitectureTemplate.allModules(base)) {
            if (!lc.targets(key)) {
                continue;
            }
            int r = lc.rankOf(key);
            int in = key.kind().inFeatures(base);
            int out = key.kind().outFeatures(base);
            mods.add(new LoraModule(key, r, in, out, normal(rnd, r * in, 1.0 / Math.sqrt(in)),
                    normal(rnd, out * r, 0.02 * a.bScale()), lc.scaleOf(key)));
        }
        return mods;
    }

    public static void writeAdapter(Path dir, ModelConfig base, AdapterSpec a, long seed, String baseModel) {
        AdapterWriter.write(dir, adapterConfigJson(a, baseModel), randomModules(base, a, seed), DType.F32);
    }

    static float[] normal(SplittableRandom rnd, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(rnd) * std);
        }
        return v;
    }

    private static float[] nearOne(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1.0 + 0.1 * gaussian(rnd));
        }
        return v;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
