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

    /** Writes config.json and model.safetensors with N(0, 0.02) weights (norm weights near 1). */
    public static void writeModel(Path dir, ModelSpec s, long seed) {
        ObjectNode cfgJson = configJson(s);
        ModelConfig cfg = ModelConfig.parse("synthetic", cfgJson);
        ArchitectureTemplate t = cfg.template();
        SplittableRandom rnd = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        DType dt = s.dtype();
        w.add(t.embedTokens(), dt, new long[] {s.vocabSize(), s.hiddenSize()}, normal(rnd, s.vocabSize() * s.hiddenSize(), 0.02));
        for (int l = 0; l < s.numLayers(); l++) {
            w.add(t.inputNorm(l), dt, new long[] {s.hiddenSize()}, nearOne(rnd, s.hiddenSize()));
            w.add(t.postAttentionNorm(l), dt, new long[] {s.hiddenSize()}, nearOne(rnd, s.hiddenSize()));
            for (ModuleKind k : ModuleKind.values()) {
                ModuleKey key = new ModuleKey(l, k);
                int in = k.inFeatures(cfg);
                int out = k.outFeatures(cfg);
                w.add(t.weight(key), dt, new long[] {out, in}, normal(rnd, out * in, 0.02));
                if (cfg.hasBias(k)) {
                    w.add(t.bias(key), dt, new long[] {out}, normal(rnd, out, 0.02));
                }
            }
            if (t.hasQkNorm()) {
                w.add(t.qNorm(l), dt, new long[] {s.headDim()}, nearOne(rnd, s.headDim()));
                w.add(t.kNorm(l), dt, new long[] {s.headDim()}, nearOne(rnd, s.headDim()));
            }
        }
        w.add(t.finalNorm(), dt, new long[] {s.hiddenSize()}, nearOne(rnd, s.hiddenSize()));
        if (!s.tieWordEmbeddings()) {
            w.add(t.lmHead(), dt, new long[] {s.vocabSize(), s.hiddenSize()}, normal(rnd, s.vocabSize() * s.hiddenSize(), 0.02));
        }
        String json = cfgJson.toPrettyString();
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
