package io.laem.engine.model;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One family of decoder models as data (mergekit-style declarative templates): which linear modules a
 * layer has, which norms and where they sit, the MLP activation, biases, and the attention options read
 * from config.json. Every family is a pre-norm decoder with RoPE and a gated MLP; the decoder, the
 * shape checks, the LoRA bank and the adapter checks read only this record. A new family that fits
 * that frame is one entry in {@link #ALL} plus a golden test.
 *
 * @param modules the layer's linear modules in forward order; attention inputs are the ATTN modules
 *     before O_PROJ, MLP inputs the MLP modules before DOWN_PROJ (fused or not, their output rows are
 *     q, k, v and gate, up in that order)
 * @param norms the layer's RMSNorms by position, each with its tensor name inside the layer
 * @param normPlusOne RMSNorm scales by {@code 1 + w} (Gemma), computed in float32 before the cast back
 * @param activationField config field naming the MLP activation, and its default
 * @param bias which modules have a bias
 * @param embeddingScaled the embedding output is multiplied by {@code sqrt(hidden_size)} (Gemma)
 * @param tiedByDefault tie_word_embeddings when config.json does not say (true for Gemma, as HF's config classes)
 * @param attention attention options and where config.json keeps them
 */
public record ArchitectureTemplate(String family, List<String> modelTypes, List<ModuleKind> modules, Map<Norm, String> norms,
                                   boolean normPlusOne, String activationField, Activation defaultActivation, Bias bias,
                                   boolean embeddingScaled, boolean tiedByDefault, Attention attention) {

    /** Where a layer's RMSNorms sit. INPUT and PRE_MLP every family has; Q and K normalise each head before RoPE. */
    public enum Norm {
        INPUT, POST_ATTENTION, PRE_MLP, POST_MLP, Q, K;

        /** Per head (width head_dim) rather than over the hidden state. */
        public boolean perHead() {
            return this == Q || this == K;
        }
    }

    /** Which linear modules have a bias, as HF transformers builds them. */
    public enum Bias {
        /** Never (mistral, phi3: HF ignores attention_bias for them). */
        NONE,
        /** q/k/v always, o never (qwen2). */
        QKV,
        /** q/k/v/o when config field attention_bias is true (llama, qwen3, gemma). */
        ATTENTION_BIAS_FIELD
    }

    /** Which layers use config.json's sliding_window when the config has no explicit layer_types. */
    public enum SlidingLayers {
        /** None: the family has no sliding window. */
        NONE,
        /** Every layer when sliding_window is set (mistral, phi3). */
        ALL,
        /** Layers from max_window_layers on, when use_sliding_window is true (qwen2, qwen3). */
        FROM_MAX_WINDOW_LAYERS,
        /** Every layer but each sliding_window_pattern-th (gemma2: pattern 2, gemma3: 6). */
        PATTERN
    }

    /**
     * @param scaleField config field whose {@code value^-0.5} scales q k^T instead of {@code head_dim^-0.5}, or null;
     *     {@code defaultScale} its value when config.json has none
     * @param softcapField config field of the attention logit soft-cap {@code c tanh(s / c)}, or null
     * @param finalSoftcapField config field of the LM head's logit soft-cap, or null
     * @param sliding which layers are sliding-window layers, {@code defaultWindow} the window when config.json has none
     *     (0: none), {@code defaultPattern} the default of sliding_window_pattern
     * @param localRopeThetaField config field of the RoPE base of sliding layers (Gemma 3), or null: one RoPE for all
     */
    public record Attention(String scaleField, double defaultScale, String softcapField, String finalSoftcapField, SlidingLayers sliding,
                            int defaultWindow, int defaultPattern, String localRopeThetaField) {
        static final Attention PLAIN = new Attention(null, 0, null, null, SlidingLayers.NONE, 0, 0, null);
    }

    private static final List<ModuleKind> SEPARATE = List.of(ModuleKind.Q_PROJ, ModuleKind.K_PROJ, ModuleKind.V_PROJ, ModuleKind.O_PROJ,
            ModuleKind.GATE_PROJ, ModuleKind.UP_PROJ, ModuleKind.DOWN_PROJ);
    private static final List<ModuleKind> FUSED = List.of(ModuleKind.QKV_PROJ, ModuleKind.O_PROJ, ModuleKind.GATE_UP_PROJ,
            ModuleKind.DOWN_PROJ);
    /** Llama's two norms: HF calls the pre-MLP one post_attention_layernorm. */
    private static final Map<Norm, String> LLAMA_NORMS = norms(Norm.INPUT, "input_layernorm", Norm.PRE_MLP, "post_attention_layernorm");
    private static final Map<Norm, String> GEMMA2_NORMS = norms(Norm.INPUT, "input_layernorm", Norm.POST_ATTENTION,
            "post_attention_layernorm", Norm.PRE_MLP, "pre_feedforward_layernorm", Norm.POST_MLP, "post_feedforward_layernorm");

    private static final Attention QWEN_WINDOW = new Attention(null, 0, null, null, SlidingLayers.FROM_MAX_WINDOW_LAYERS, 4096, 0, null);

    private static final List<ArchitectureTemplate> ALL = List.of(
            llamaLike("llama", Bias.ATTENTION_BIAS_FIELD, LLAMA_NORMS, Attention.PLAIN),
            llamaLike("mistral", Bias.NONE, LLAMA_NORMS, new Attention(null, 0, null, null, SlidingLayers.ALL, 4096, 0, null)),
            llamaLike("qwen2", Bias.QKV, LLAMA_NORMS, QWEN_WINDOW),
            llamaLike("qwen3", Bias.ATTENTION_BIAS_FIELD, with(LLAMA_NORMS, Norm.Q, "self_attn.q_norm", Norm.K, "self_attn.k_norm"),
                    QWEN_WINDOW),
            new ArchitectureTemplate("phi3", List.of("phi3"), FUSED, LLAMA_NORMS, false, "hidden_act", Activation.SILU, Bias.NONE,
                    false, false, new Attention(null, 0, null, null, SlidingLayers.ALL, 0, 0, null)),
            new ArchitectureTemplate("gemma2", List.of("gemma2"), SEPARATE, GEMMA2_NORMS, true, "hidden_activation",
                    Activation.GELU_TANH, Bias.ATTENTION_BIAS_FIELD, true, true,
                    new Attention("query_pre_attn_scalar", 256, "attn_logit_softcapping", "final_logit_softcapping",
                            SlidingLayers.PATTERN, 4096, 2, null)),
            // HF's Gemma 3 attention does not pass attn_logit_softcapping on: only the final soft-cap applies
            new ArchitectureTemplate("gemma3", List.of("gemma3_text"), SEPARATE,
                    with(GEMMA2_NORMS, Norm.Q, "self_attn.q_norm", Norm.K, "self_attn.k_norm"), true, "hidden_activation",
                    Activation.GELU_TANH, Bias.ATTENTION_BIAS_FIELD, true, true,
                    new Attention("query_pre_attn_scalar", 256, null, "final_logit_softcapping", SlidingLayers.PATTERN, 4096, 6,
                            "rope_local_base_freq")));

    private static final Pattern MODULE = Pattern.compile("(?:.*\\.)?layers\\.(\\d+)\\.(self_attn|mlp)\\.("
            + Arrays.stream(ModuleKind.values()).map(ModuleKind::peftName).collect(Collectors.joining("|")) + ")$");

    private static ArchitectureTemplate llamaLike(String family, Bias bias, Map<Norm, String> norms, Attention attention) {
        return new ArchitectureTemplate(family, List.of(family), SEPARATE, norms, false, "hidden_act", Activation.SILU, bias, false, false,
                attention);
    }

    private static Map<Norm, String> norms(Object... normAndName) {
        Map<Norm, String> m = new EnumMap<>(Norm.class);
        for (int i = 0; i < normAndName.length; i += 2) {
            m.put((Norm) normAndName[i], (String) normAndName[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private static Map<Norm, String> with(Map<Norm, String> base, Object... more) {
        Map<Norm, String> m = new EnumMap<>(base);
        m.putAll(norms(more));
        return java.util.Collections.unmodifiableMap(m);
    }

    public static Optional<ArchitectureTemplate> forModelType(String modelType) {
        return ALL.stream().filter(t -> t.modelTypes.contains(modelType)).findFirst();
    }

    public static String supportedTypes() {
        return ALL.stream().flatMap(t -> t.modelTypes.stream()).collect(Collectors.joining(", "));
    }

    /** Every template, in the order {@link #supportedTypes()} lists them. */
    public static List<ArchitectureTemplate> all() {
        return ALL;
    }

    public String embedTokens() {
        return "model.embed_tokens.weight";
    }

    public String finalNorm() {
        return "model.norm.weight";
    }

    public String lmHead() {
        return "lm_head.weight";
    }

    /** The weight of one of the layer's norms, or null when this family has no such norm. */
    public String norm(Norm norm, int layer) {
        String n = norms.get(norm);
        return n == null ? null : "model.layers." + layer + "." + n + ".weight";
    }

    public boolean hasNorm(Norm norm) {
        return norms.containsKey(norm);
    }

    /** The attention input modules (q, k, v or the fused qkv), in output-row order. */
    public List<ModuleKind> attentionInputs() {
        return modules.stream().filter(k -> k.group() == ModuleKind.Group.ATTN && k != ModuleKind.O_PROJ).toList();
    }

    /** The MLP input modules (gate, up or the fused gate_up), in output-row order. */
    public List<ModuleKind> mlpInputs() {
        return modules.stream().filter(k -> k.group() == ModuleKind.Group.MLP && k != ModuleKind.DOWN_PROJ).toList();
    }

    /** Module path without the ".weight" suffix, e.g. {@code model.layers.3.self_attn.q_proj}: PEFT's full module name. */
    public static String modulePath(ModuleKey key) {
        String block = key.kind().group() == ModuleKind.Group.ATTN ? "self_attn" : "mlp";
        return "model.layers." + key.layer() + "." + block + "." + key.kind().peftName();
    }

    public String weight(ModuleKey key) {
        return modulePath(key) + ".weight";
    }

    public String bias(ModuleKey key) {
        return modulePath(key) + ".bias";
    }

    /** The modules of this family as PEFT names, for messages. */
    public String moduleNames() {
        return modules.stream().map(ModuleKind::peftName).collect(Collectors.joining(", "));
    }

    /** The module a (possibly prefixed) module path names, if any (of any family: see {@link #modules()}). */
    public static Optional<ModuleKey> parseModulePath(String path) {
        Matcher m = MODULE.matcher(path);
        if (!m.matches()) {
            return Optional.empty();
        }
        ModuleKind kind = ModuleKind.ofPeftName(m.group(3)).orElseThrow();
        if (!m.group(2).equals(kind.group() == ModuleKind.Group.ATTN ? "self_attn" : "mlp")) {
            return Optional.empty(); // e.g. mlp.q_proj: not a module of these architectures
        }
        if (m.group(1).length() > 9) {
            return Optional.empty(); // a layer index past any model's layers (and past int)
        }
        return Optional.of(new ModuleKey(Integer.parseInt(m.group(1)), kind));
    }

    /** All module keys of a model with this config. */
    public static List<ModuleKey> allModules(ModelConfig c) {
        return java.util.stream.IntStream.range(0, c.numLayers()).boxed()
                .flatMap(l -> c.template().modules().stream().map(k -> new ModuleKey(l, k)))
                .toList();
    }
}
