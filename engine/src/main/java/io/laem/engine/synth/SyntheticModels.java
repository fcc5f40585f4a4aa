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
            case "phi3" -> "Phi3ForCausalLM";
            case "gemma2" -> "Gemma2ForCausalLM";
            case "gemma3_text" -> "Gemma3ForCausalLM";
            default -> "LlamaForCausalLM";
        };
        ArchitectureTemplate t = ArchitectureTemplate.forModelType(s.modelType()).orElseThrow(
                () -> new IllegalArgumentException("no template for model_type " + s.modelType()));
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
        c.put(t.activationField(), t.defaultActivation().hfName());
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

    /** A tensor of a synthetic model: norm weights multiply as near 1, everything else N(0, 0.02). */
    private record TensorSpec(String name, long[] shape, boolean norm) {
        int count() {
            return Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact));
        }
    }

    /** Every tensor the config implies, in file order (the committed fixtures were drawn in this order). */
    private static List<TensorSpec> tensors(ModelConfig cfg) {
        ArchitectureTemplate t = cfg.template();
        List<TensorSpec> out = new ArrayList<>();
        out.add(new TensorSpec(t.embedTokens(), new long[] {cfg.vocabSize(), cfg.hiddenSize()}, false));
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (ArchitectureTemplate.Norm norm : t.norms().keySet()) {
                if (!norm.perHead()) {
                    out.add(new TensorSpec(t.norm(norm, l), new long[] {cfg.hiddenSize()}, true));
                }
            }
            for (ModuleKind k : cfg.modules()) {
                ModuleKey key = new ModuleKey(l, k);
                out.add(new TensorSpec(t.weight(key), new long[] {k.outFeatures(cfg), k.inFeatures(cfg)}, false));
                if (cfg.hasBias(k)) {
                    out.add(new TensorSpec(t.bias(key), new long[] {k.outFeatures(cfg)}, false));
                }
            }
            // per-head (q/k) norms after the modules
            for (ArchitectureTemplate.Norm norm : t.norms().keySet()) {
                if (norm.perHead()) {
                    out.add(new TensorSpec(t.norm(norm, l), new long[] {cfg.headDim()}, true));
                }
            }
        }
        out.add(new TensorSpec(t.finalNorm(), new long[] {cfg.hiddenSize()}, true));
        if (!cfg.tieWordEmbeddings()) {
            out.add(new TensorSpec(t.lmHead(), new long[] {cfg.vocabSize(), cfg.hiddenSize()}, false));
        }
        return out;
    }

    /** Writes config.json and model.safetensors with N(0, 0.02) weights (norm weights near 1). */
    public static void writeModel(Path dir, ModelSpec s, long seed) {
        writeModel(dir, s, seed, c -> { });
    }

    /**
     * The same with config.json edited first (attention options, rope scaling...): norm weights multiply as
     * near 1 ({@code 1 + w} with w near 0 for Gemma), every tensor the edited config implies is written.
     */
    public static void writeModel(Path dir, ModelSpec s, long seed, java.util.function.Consumer<ObjectNode> editConfig) {
        ObjectNode cfgJson = configJson(s);
        editConfig.accept(cfgJson);
        ModelConfig cfg = ModelConfig.parse("synthetic", cfgJson);
        double normCentre = normCentre(cfg);
        SplittableRandom rnd = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (TensorSpec t : tensors(cfg)) {
            w.add(t.name(), s.dtype(), t.shape(), t.norm() ? near(rnd, t.count(), normCentre) : normal(rnd, t.count(), 0.02));
        }
        write(dir, cfgJson, w);
    }

    /** Where a norm weight is drawn around so that it multiplies as near 1: 0 where the family scales by {@code 1 + w}. */
    private static double normCentre(ModelConfig cfg) {
        return cfg.template().normPlusOne() ? 0 : 1;
    }

    /**
     * The same kind of model written tensor by tensor in chunks (each tensor from its own seed), so a model of
     * billions of parameters is written without holding it: for benchmarks of real-size shapes.
     */
    public static void writeModelStreamed(Path dir, ModelSpec s, long seed) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        ObjectNode cfgJson = configJson(s);
        ModelConfig cfg = ModelConfig.parse("synthetic", cfgJson);
        double normCentre = normCentre(cfg);
        List<TensorSpec> all = tensors(cfg);
        for (int i = 0; i < all.size(); i++) {
            TensorSpec t = all.get(i);
            long tensorSeed = seed * 1_000_003L + i;
            w.addProduced(t.name(), s.dtype(), t.shape(), sink -> {
                SplittableRandom rnd = new SplittableRandom(tensorSeed);
                int total = t.count();
                for (int from = 0; from < total; from += 1 << 20) {
                    int n = Math.min(1 << 20, total - from);
                    sink.accept(t.norm() ? near(rnd, n, normCentre) : normal(rnd, n, 0.02), 0, n);
                }
            });
        }
        write(dir, cfgJson, w);
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
        for (TensorSpec t : tensors(ModelConfig.parse("synthetic", configJson(s)))) {
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

    private static void write(Path dir, ObjectNode config, SafetensorsWriter w) {
        String json = config.toPrettyString();
        OutputTarget.folder(dir).force(true).write(tmp -> { // fixtures: an earlier laem-written model there is replaced
            Files.writeString(tmp.resolve("config.json"), json);
            w.writeDirect(tmp.resolve("model.safetensors"));
        });
    }

    /** PEFT adapter_config.json for a spec on a base; target_modules lists the spec's targets the base has. */
    public static ObjectNode adapterConfigJson(AdapterSpec a, String baseModel, ModelConfig base) {
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
        a.targets().stream().filter(base.modules()::contains).forEach(k -> tm.add(k.peftName()));
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
        ObjectNode cfgJson = adapterConfigJson(a, "synthetic", base);
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
        AdapterWriter.write(dir, adapterConfigJson(a, baseModel, base), randomModules(base, a, seed), DType.F32);
    }

    static float[] normal(SplittableRandom rnd, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(rnd) * std);
        }
        return v;
    }

    private static float[] near(SplittableRandom rnd, int n, double centre) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (centre + 0.1 * gaussian(rnd));
        }
        return v;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
