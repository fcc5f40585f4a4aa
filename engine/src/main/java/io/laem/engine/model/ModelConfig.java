package io.laem.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a Hugging Face {@code config.json} the engine needs. Missing optional fields take
 * HF transformers' defaults for the family.
 */
public record ModelConfig(
        String modelType,
        ArchitectureTemplate template,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        String torchDtype,
        Integer bosTokenId,
        List<Integer> eosTokenIds) {

    public static ModelConfig read(Path configJson) {
        return parse(configJson.toString(), Json.readTree(configJson));
    }

    public static ModelConfig parse(String file, JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new LaemException(file + ": config is not a JSON object");
        }
        String type = text(file, n, "model_type");
        ArchitectureTemplate t = ArchitectureTemplate.forModelType(type).orElseThrow(() -> new LaemException(
                file + ": model_type '" + type + "' is not supported (supported: " + ArchitectureTemplate.supportedTypes() + ")"));
        int hidden = positive(file, n, "hidden_size");
        int heads = positive(file, n, "num_attention_heads");
        int kv = n.has("num_key_value_heads") && !n.get("num_key_value_heads").isNull() ? positive(file, n, "num_key_value_heads") : heads;
        if (heads % kv != 0) {
            throw new LaemException(file + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
        }
        int headDim = n.has("head_dim") && !n.get("head_dim").isNull() ? positive(file, n, "head_dim") : hidden / heads;
        if (!n.has("head_dim") && hidden % heads != 0) {
            throw new LaemException(file + ": hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        if (n.path("mlp_bias").asBoolean(false)) {
            throw new LaemException(file + ": field 'mlp_bias' is true: MLP biases are not supported");
        }
        RopeScaling scaling = null;
        // transformers v5 moved rope_theta and the scaling into rope_parameters
        JsonNode ropeParams = n.path("rope_parameters");
        JsonNode rs = n.has("rope_scaling") && !n.get("rope_scaling").isNull() ? n.get("rope_scaling")
                : ropeParams.isObject() ? ropeParams : null;
        if (rs != null && !rs.isNull()) {
            String rt = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("");
            if (!rt.equals("llama3") && !rt.equals("default")) {
                throw new LaemException(file + ": rope_scaling type '" + rt + "' is not supported (supported: llama3)");
            }
            if (rt.equals("llama3")) {
                scaling = new RopeScaling(rt, positiveNumber(file, rs, "rope_scaling.factor", "factor", 8.0),
                        positiveNumber(file, rs, "rope_scaling.low_freq_factor", "low_freq_factor", 1.0),
                        positiveNumber(file, rs, "rope_scaling.high_freq_factor", "high_freq_factor", 4.0),
                        rs.has("original_max_position_embeddings") ? positive(file, rs, "original_max_position_embeddings") : 8192);
            }
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode e = n.get("eos_token_id");
        if (e != null && e.isArray()) {
            for (JsonNode x : e) {
                if (!x.isIntegralNumber() || !x.canConvertToInt()) {
                    throw new LaemException(file + ": field 'eos_token_id' must hold token ids, got " + x);
                }
                eos.add(x.asInt());
            }
        } else if (e != null && e.isIntegralNumber() && e.canConvertToInt()) {
            eos.add(e.asInt());
        } else if (e != null && !e.isNull()) {
            throw new LaemException(file + ": field 'eos_token_id' must be a token id or a list of them, got " + e);
        }
        JsonNode bos = n.get("bos_token_id");
        // Qwen2 always has q/k/v biases (no config field); llama and qwen3 follow attention_bias (q/k/v/o).
        boolean bias = t.family().equals("qwen2") || (!t.family().equals("mistral") && n.path("attention_bias").asBoolean(false));
        double ropeTheta = n.has("rope_theta") ? positiveNumber(file, n, "rope_theta", "rope_theta", 10000.0)
                : positiveNumber(file, ropeParams, "rope_parameters.rope_theta", "rope_theta", 10000.0);
        int vocab = positive(file, n, "vocab_size");
        for (int id : eos) {
            if (id < 0 || id >= vocab) {
                throw new LaemException(file + ": field 'eos_token_id' " + id + " is not a token id (vocab_size " + vocab + ")");
            }
        }
        return new ModelConfig(type, t, hidden, positive(file, n, "intermediate_size"), positive(file, n, "num_hidden_layers"),
                heads, kv, headDim, vocab, n.has("max_position_embeddings") && !n.get("max_position_embeddings").isNull()
                        ? positive(file, n, "max_position_embeddings") : 2048,
                positiveNumber(file, n, "rms_norm_eps", "rms_norm_eps", 1e-6), ropeTheta, scaling,
                n.path("tie_word_embeddings").asBoolean(false), bias,
                n.path("torch_dtype").asText(n.path("dtype").asText("float32")),
                bos != null && bos.isIntegralNumber() && bos.canConvertToInt() ? bos.asInt() : null, List.copyOf(eos));
    }

    private static String text(String file, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new LaemException(file + ": missing or non-string field '" + field + "'");
        }
        return v.asText();
    }

    /** A finite number above 0 (a missing or null field takes {@code def}); {@code key} names it in the error. */
    private static double positiveNumber(String file, JsonNode n, String key, String field, double def) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() <= 0) {
            throw new LaemException(file + ": field '" + key + "' must be a finite number above 0, got " + v);
        }
        return v.asDouble();
    }

    private static int positive(String file, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || v.asLong() <= 0 || v.asLong() > Integer.MAX_VALUE) {
            throw new LaemException(file + ": field '" + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    /**
     * Whether a module has a bias, as in HF transformers: Qwen2's q/k/v always; Llama's and Qwen3's
     * q/k/v/o when attention_bias is set; never for the MLP (mlp_bias is refused at load).
     */
    public boolean hasBias(ModuleKind kind) {
        if (!attentionBias || kind.group() != ModuleKind.Group.ATTN) {
            return false;
        }
        return kind != ModuleKind.O_PROJ || !template.family().equals("qwen2");
    }

    /** Number of parameters implied by the config (embeddings counted once when tied). */
    public long parameterCount() {
        long perLayer = 0;
        for (ModuleKind k : ModuleKind.values()) {
            perLayer += (long) k.inFeatures(this) * k.outFeatures(this);
        }
        perLayer += 2L * hiddenSize;
        for (ModuleKind k : ModuleKind.values()) {
            perLayer += hasBias(k) ? k.outFeatures(this) : 0;
        }
        if (template.hasQkNorm()) {
            perLayer += 2L * headDim;
        }
        long emb = (long) vocabSize * hiddenSize;
        return perLayer * numLayers + emb * (tieWordEmbeddings ? 1 : 2) + hiddenSize;
    }
}
