package io.laem.engine.model;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How one family of decoder models names its tensors (mergekit-style declarative templates). All
 * supported families share the Llama layout; they differ in biases and q/k norms.
 */
public record ArchitectureTemplate(String family, List<String> modelTypes, boolean hasQkvBias, boolean hasQkNorm) {
    private static final List<ArchitectureTemplate> ALL = List.of(
            new ArchitectureTemplate("llama", List.of("llama"), false, false),
            new ArchitectureTemplate("mistral", List.of("mistral"), false, false),
            new ArchitectureTemplate("qwen2", List.of("qwen2"), true, false),
            new ArchitectureTemplate("qwen3", List.of("qwen3"), false, true));

    private static final Pattern MODULE = Pattern.compile(
            "(?:.*\\.)?layers\\.(\\d+)\\.(self_attn|mlp)\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$");

    public static Optional<ArchitectureTemplate> forModelType(String modelType) {
        return ALL.stream().filter(t -> t.modelTypes.contains(modelType)).findFirst();
    }

    public static String supportedTypes() {
        return ALL.stream().flatMap(t -> t.modelTypes.stream()).collect(Collectors.joining(", "));
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

    public String inputNorm(int layer) {
        return "model.layers." + layer + ".input_layernorm.weight";
    }

    public String postAttentionNorm(int layer) {
        return "model.layers." + layer + ".post_attention_layernorm.weight";
    }

    public String qNorm(int layer) {
        return "model.layers." + layer + ".self_attn.q_norm.weight";
    }

    public String kNorm(int layer) {
        return "model.layers." + layer + ".self_attn.k_norm.weight";
    }

    /** Module path without the ".weight" suffix, e.g. {@code model.layers.3.self_attn.q_proj}. */
    public String modulePath(ModuleKey key) {
        String block = key.kind().group() == ModuleKind.Group.ATTN ? "self_attn" : "mlp";
        return "model.layers." + key.layer() + "." + block + "." + key.kind().peftName();
    }

    public String weight(ModuleKey key) {
        return modulePath(key) + ".weight";
    }

    public String bias(ModuleKey key) {
        return modulePath(key) + ".bias";
    }

    /** The module a (possibly prefixed) module path names, if any. */
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
                .flatMap(l -> Arrays.stream(ModuleKind.values()).map(k -> new ModuleKey(l, k)))
                .toList();
    }
}
