package io.laem.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a Hugging Face {@code config.json} the engine needs. Missing optional fields take
 * HF transformers' defaults for the family. What the family's {@link ArchitectureTemplate} says to
 * read (activation, attention scale, soft-caps, sliding-window layers, local RoPE base) is resolved
 * here once, so the decoder reads numbers, not families.
 *
 * @param attentionScale the factor on q k^T: {@code head_dim^-0.5}, or {@code query_pre_attn_scalar^-0.5}
 * @param attentionSoftcap {@code c} of the attention logits' {@code c tanh(s / c)}, 0 for none
 * @param finalSoftcap the same on the LM head's logits, 0 for none
 * @param slidingWindow keys a sliding layer's query sees (itself included), 0 when no layer slides
 * @param slidingLayers per layer, whether it is a sliding-window layer
 * @param localRopeTheta RoPE base of the sliding layers (rope_theta unless the family has its own)
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
        List<Integer> eosTokenIds,
        Activation activation,
        double attentionScale,
        double attentionSoftcap,
        double finalSoftcap,
        int slidingWindow,
        List<Boolean> slidingLayers,
        double localRopeTheta) {

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
        // transformers v5 moved rope_theta and the scaling into rope_parameters, per layer type where those differ (Gemma 3)
        JsonNode ropeParams = n.path("rope_parameters");
        JsonNode fullParams = ropeParams.has("full_attention") ? ropeParams.get("full_attention") : ropeParams;
        JsonNode rs = n.has("rope_scaling") && !n.get("rope_scaling").isNull() ? n.get("rope_scaling")
                : fullParams.isObject() ? fullParams : null;
        RopeScaling scaling = ropeScaling(file, rs);
        if (n.has("partial_rotary_factor") && n.path("partial_rotary_factor").asDouble(1.0) != 1.0) {
            throw new LaemException(file + ": field 'partial_rotary_factor' is " + n.get("partial_rotary_factor")
                    + ": partial rotary embeddings are not supported (only 1.0)");
        }
        if (n.path("use_bidirectional_attention").asBoolean(false)) {
            throw new LaemException(file + ": field 'use_bidirectional_attention' is true: only causal decoders are supported");
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
        boolean bias = switch (t.bias()) {
            case NONE -> false;
            case QKV -> true;
            case ATTENTION_BIAS_FIELD -> n.path("attention_bias").asBoolean(false);
        };
        double ropeTheta = n.has("rope_theta") ? positiveNumber(file, n, "rope_theta", "rope_theta", 10000.0)
                : positiveNumber(file, fullParams, "rope_parameters.rope_theta", "rope_theta", 10000.0);
        int layers = positive(file, n, "num_hidden_layers");
        int vocab = positive(file, n, "vocab_size");
        for (int id : eos) {
            if (id < 0 || id >= vocab) {
                throw new LaemException(file + ": field 'eos_token_id' " + id + " is not a token id (vocab_size " + vocab + ")");
            }
        }
        ArchitectureTemplate.Attention a = t.attention();
        Activation act = Activation.of(file, t.activationField(), n.path(t.activationField()).isTextual()
                ? n.get(t.activationField()).asText() : t.defaultActivation().hfName());
        double scaleBase = a.scaleField() == null ? headDim : positiveNumber(file, n, a.scaleField(), a.scaleField(), a.defaultScale());
        int window = slidingWindow(file, n, a);
        List<Boolean> sliding = slidingLayers(file, n, a, window, layers);
        double localTheta = ropeTheta;
        if (a.localRopeThetaField() != null) {
            JsonNode local = ropeParams.path("sliding_attention");
            localTheta = n.has(a.localRopeThetaField())
                    ? positiveNumber(file, n, a.localRopeThetaField(), a.localRopeThetaField(), 10000.0)
                    : positiveNumber(file, local, "rope_parameters.sliding_attention.rope_theta", "rope_theta", 10000.0);
        }
        return new ModelConfig(type, t, hidden, positive(file, n, "intermediate_size"), layers,
                heads, kv, headDim, vocab, n.has("max_position_embeddings") && !n.get("max_position_embeddings").isNull()
                        ? positive(file, n, "max_position_embeddings") : 2048,
                positiveNumber(file, n, "rms_norm_eps", "rms_norm_eps", 1e-6), ropeTheta, scaling,
                n.path("tie_word_embeddings").asBoolean(t.tiedByDefault()), bias,
                n.path("torch_dtype").asText(n.path("dtype").asText("float32")),
                bos != null && bos.isIntegralNumber() && bos.canConvertToInt() ? bos.asInt() : null, List.copyOf(eos), act,
                1.0 / Math.sqrt(scaleBase),
                softcap(file, n, a.softcapField()), softcap(file, n, a.finalSoftcapField()), window, sliding, localTheta);
    }

    /** Llama-3 and linear rope scaling; "default" is none; other types are refused. */
    private static RopeScaling ropeScaling(String file, JsonNode rs) {
        if (rs == null || rs.isNull()) {
            return null;
        }
        String rt = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("");
        return switch (rt) {
            case "default", "" -> null;
            case "llama3" -> new RopeScaling(rt, positiveNumber(file, rs, "rope_scaling.factor", "factor", 8.0),
                    positiveNumber(file, rs, "rope_scaling.low_freq_factor", "low_freq_factor", 1.0),
                    positiveNumber(file, rs, "rope_scaling.high_freq_factor", "high_freq_factor", 4.0),
                    rs.has("original_max_position_embeddings") ? positive(file, rs, "original_max_position_embeddings") : 8192);
            case "linear" -> new RopeScaling(rt, positiveNumber(file, rs, "rope_scaling.factor", "factor", 1.0), 0, 0, 0);
            default -> throw new LaemException(file + ": rope_scaling type '" + rt + "' is not supported (supported: llama3, linear)");
        };
    }

    /** A soft-cap field: 0 when the family has none or the config sets it null. */
    private static double softcap(String file, JsonNode n, String field) {
        if (field == null || !n.has(field) || n.get(field).isNull()) {
            return 0;
        }
        if (!n.get(field).isNumber() || n.get(field).asDouble() <= 0) {
            throw new LaemException(file + ": field '" + field + "' must be a positive number or null, got " + n.get(field));
        }
        return n.get(field).asDouble();
    }

    /** sliding_window as HF reads it for the family (Qwen: only with use_sliding_window); 0 for none. */
    private static int slidingWindow(String file, JsonNode n, ArchitectureTemplate.Attention a) {
        if (a.sliding() == ArchitectureTemplate.SlidingLayers.NONE) {
            return 0;
        }
        if (a.sliding() == ArchitectureTemplate.SlidingLayers.FROM_MAX_WINDOW_LAYERS && !n.path("use_sliding_window").asBoolean(false)) {
            return 0;
        }
        if (!n.has("sliding_window")) {
            return a.defaultWindow();
        }
        if (n.get("sliding_window").isNull()) {
            return 0;
        }
        return positive(file, n, "sliding_window");
    }

    /** Which layers slide: config.json's layer_types when given (not for Mistral, as HF), else the family's rule. */
    private static List<Boolean> slidingLayers(String file, JsonNode n, ArchitectureTemplate.Attention a, int window, int layers) {
        List<Boolean> out = new ArrayList<>();
        JsonNode types = n.get("layer_types");
        boolean explicit = types != null && types.isArray() && a.sliding() != ArchitectureTemplate.SlidingLayers.ALL;
        if (explicit && types.size() != layers) {
            throw new LaemException(file + ": field 'layer_types' has " + types.size() + " entries for " + layers + " layers");
        }
        int pattern = n.path("sliding_window_pattern").asInt(a.defaultPattern());
        int maxWindowLayers = n.path("max_window_layers").asInt(28);
        for (int l = 0; l < layers; l++) {
            boolean slides;
            if (explicit) {
                String lt = types.get(l).asText();
                if (!lt.equals("sliding_attention") && !lt.equals("full_attention")) {
                    throw new LaemException(file + ": field 'layer_types' entry " + l + " is '" + lt
                            + "' (supported: sliding_attention, full_attention)");
                }
                slides = lt.equals("sliding_attention");
            } else {
                slides = switch (a.sliding()) {
                    case NONE -> false;
                    case ALL -> true;
                    case FROM_MAX_WINDOW_LAYERS -> l >= maxWindowLayers;
                    case PATTERN -> pattern <= 0 || (l + 1) % pattern != 0;
                };
            }
            out.add(slides && window > 0);
        }
        return List.copyOf(out);
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
        return kind != ModuleKind.O_PROJ || template.bias() != ArchitectureTemplate.Bias.QKV;
    }

    /** The linear modules of each layer (the template's). */
    public List<ModuleKind> modules() {
        return template.modules();
    }

    /** Whether layer {@code layer} attends over a sliding window of {@link #slidingWindow()} keys. */
    public boolean sliding(int layer) {
        return slidingLayers.get(layer);
    }

    /** RoPE base of a layer: sliding layers of a family with a local base use it, without rope scaling. */
    public double ropeTheta(int layer) {
        return template.attention().localRopeThetaField() != null && sliding(layer) ? localRopeTheta : ropeTheta;
    }

    public RopeScaling ropeScaling(int layer) {
        return template.attention().localRopeThetaField() != null && sliding(layer) ? null : ropeScaling;
    }

    /** Number of parameters implied by the config (embeddings counted once when tied). */
    public long parameterCount() {
        long perLayer = 0;
        for (ModuleKind k : modules()) {
            perLayer += (long) k.inFeatures(this) * k.outFeatures(this) + (hasBias(k) ? k.outFeatures(this) : 0);
        }
        for (ArchitectureTemplate.Norm norm : template.norms().keySet()) {
            perLayer += norm.perHead() ? headDim : hiddenSize;
        }
        long emb = (long) vocabSize * hiddenSize;
        return perLayer * numLayers + emb * (tieWordEmbeddings ? 1 : 2) + hiddenSize;
    }
}
