package io.laem.engine.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModuleKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PEFT {@code adapter_config.json}. Scaling and target matching follow PEFT (peft/utils/other.py
 * {@code get_pattern_key}, peft/tuners/tuners_utils.py {@code check_target_module_exists}): the first
 * rank/alpha pattern key, in file order, for which {@code (.*\.)?(KEY)$} matches the module's full name
 * wins; a string target_modules is a full-match regex ("all-linear": every linear module); a list entry
 * matches the full name or its dotted suffix, then layers_to_transform filters by the layer index;
 * exclude_modules and modules_to_save take modules out. fan_in_fan_out is ignored: these are
 * nn.Linear modules, for which PEFT itself resets it to false (with a warning).
 */
public record LoraConfig(
        int r,
        double loraAlpha,
        List<String> targetModuleList,
        String targetModuleRegex,
        Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern,
        boolean useRslora,
        boolean fanInFanOut,
        List<Integer> layersToTransform,
        List<String> modulesToSave,
        String baseModelNameOrPath,
        ObjectNode raw,
        List<String> excludeModuleList,
        String excludeModuleRegex,
        List<String> layersPattern) {

    public static final String FILE = "adapter_config.json";
    public static final String ALL_LINEAR = "all-linear";

    public static LoraConfig read(Path file) {
        return parse(file.toString(), Json.readTree(file));
    }

    public static LoraConfig parse(String file, JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new LaemException(file + ": adapter config is not a JSON object");
        }
        String peftType = n.path("peft_type").asText("LORA");
        if (!peftType.equalsIgnoreCase("LORA")) {
            throw new LaemException(file + ": peft_type '" + peftType + "' is not supported (only LORA)");
        }
        if (n.path("use_dora").asBoolean(false)) {
            throw new LaemException(file + ": field 'use_dora': DoRA adapters are not supported (their magnitude vector cannot be merged as a low-rank delta)");
        }
        String bias = n.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new LaemException(file + ": field 'bias' is '" + bias + "': LoRA bias training is not supported (only 'none')");
        }
        if (n.path("lora_bias").asBoolean(false)) {
            throw new LaemException(file + ": field 'lora_bias': a bias on lora_B is not supported (only bias-free LoRA)");
        }
        // LoRA variants whose delta is not scale * B A: refused rather than merged wrongly.
        for (String variant : List.of("use_qalora", "alora_invocation_tokens", "target_parameters", "layer_replication",
                "velora_config", "kasa_config", "monteclora_config", "trainable_token_indices")) {
            JsonNode v = n.get(variant);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean()) && !(v.isContainerNode() && v.isEmpty())) {
                throw new LaemException(file + ": field '" + variant + "' is set: this LoRA variant is not supported (plain LoRA only)");
            }
        }
        JsonNode rn = n.get("r");
        if (!isPositiveInt(rn)) {
            throw new LaemException(file + ": field 'r' must be a positive integer, got " + rn);
        }
        JsonNode an = n.get("lora_alpha");
        if (an != null && !isPositiveFinite(an)) {
            throw new LaemException(file + ": field 'lora_alpha' must be a finite number above 0, got " + an);
        }
        List<String> list = null;
        String regex = null;
        JsonNode tm = n.get("target_modules");
        if (tm == null || tm.isNull()) {
            throw new LaemException(file + ": field 'target_modules' is missing");
        } else if (tm.isTextual()) {
            regex = tm.asText();
            if (!regex.equals(ALL_LINEAR)) {
                checkedRegex(file, "target_modules", regex);
            }
        } else if (tm.isArray()) {
            list = new ArrayList<>();
            for (JsonNode x : tm) {
                list.add(x.asText());
            }
        } else {
            throw new LaemException(file + ": field 'target_modules' must be a list or a string");
        }
        for (String f : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode p = n.get(f);
            if (p != null && !p.isNull() && !p.isObject()) {
                throw new LaemException(file + ": field '" + f + "' must map module patterns to numbers, got " + p);
            }
        }
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        n.path("rank_pattern").fields().forEachRemaining(e -> {
            if (!isPositiveInt(e.getValue())) {
                throw new LaemException(file + ": field 'rank_pattern." + e.getKey() + "' must be a positive integer, got " + e.getValue());
            }
            rankPattern.put(e.getKey(), e.getValue().asInt());
        });
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        n.path("alpha_pattern").fields().forEachRemaining(e -> {
            if (!isPositiveFinite(e.getValue())) {
                throw new LaemException(file + ": field 'alpha_pattern." + e.getKey() + "' must be a finite number above 0, got " + e.getValue());
            }
            alphaPattern.put(e.getKey(), e.getValue().asDouble());
        });
        List<Integer> layers = null;
        JsonNode lt = n.get("layers_to_transform");
        if (lt != null && !lt.isNull()) {
            if (regex != null) {
                throw new LaemException(file + ": field 'layers_to_transform' cannot be used when 'target_modules' is a string (as in PEFT)");
            }
            layers = new ArrayList<>();
            if (lt.isIntegralNumber()) {
                layers.add(lt.asInt());
            } else if (lt.isArray()) {
                for (JsonNode x : lt) {
                    if (!x.isIntegralNumber()) {
                        throw new LaemException(file + ": field 'layers_to_transform' must hold integers, got " + x);
                    }
                    layers.add(x.asInt());
                }
            } else {
                throw new LaemException(file + ": field 'layers_to_transform' must be an integer or a list");
            }
        }
        List<String> layersPattern = List.of();
        JsonNode lp = n.get("layers_pattern");
        if (lp != null && lp.isTextual() && !lp.asText().isEmpty()) {
            layersPattern = List.of(checkedRegex(file, "layers_pattern", lp.asText()));
        } else if (lp != null && lp.isArray()) {
            List<String> ps = new ArrayList<>();
            lp.forEach(x -> ps.add(checkedRegex(file, "layers_pattern", x.asText())));
            layersPattern = List.copyOf(ps);
        }
        List<String> excludeList = null;
        String excludeRegex = null;
        JsonNode ex = n.get("exclude_modules");
        if (ex != null && ex.isTextual()) {
            excludeRegex = checkedRegex(file, "exclude_modules", ex.asText());
        } else if (ex != null && ex.isArray()) {
            excludeList = new ArrayList<>();
            for (JsonNode x : ex) {
                excludeList.add(x.asText());
            }
            excludeList = List.copyOf(excludeList);
        }
        List<String> toSave = new ArrayList<>();
        n.path("modules_to_save").forEach(x -> toSave.add(x.asText()));
        return new LoraConfig(rn.asInt(), an == null ? 8 : an.asDouble(), list, regex,
                Collections.unmodifiableMap(rankPattern), Collections.unmodifiableMap(alphaPattern),
                n.path("use_rslora").asBoolean(false), n.path("fan_in_fan_out").asBoolean(false),
                layers == null ? null : List.copyOf(layers), List.copyOf(toSave),
                n.path("base_model_name_or_path").asText(null), ((ObjectNode) n).deepCopy(), excludeList, excludeRegex,
                layersPattern);
    }

    private static boolean isPositiveInt(JsonNode v) {
        return v != null && v.isIntegralNumber() && v.canConvertToInt() && v.asInt() > 0;
    }

    /** lora_alpha scales every delta: NaN, infinity, 0 or a negative value is a broken file, not a merge setting. */
    private static boolean isPositiveFinite(JsonNode v) {
        return v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() > 0;
    }

    private static String checkedRegex(String file, String field, String regex) {
        try {
            Pattern.compile(regex);
            return regex;
        } catch (PatternSyntaxException e) {
            throw new LaemException(file + ": field '" + field + "' is not a valid regex: " + regex);
        }
    }

    /** The full module name PEFT matches patterns against, e.g. {@code model.layers.3.self_attn.q_proj}. */
    public static String moduleName(ModuleKey key) {
        return ArchitectureTemplate.modulePath(key);
    }

    /** PEFT's get_pattern_key: the first key, in file order, whose pattern matches the end of the name. */
    private static String patternKey(Set<String> keys, String name) {
        for (String k : keys) {
            try {
                if (Pattern.compile("(.*\\.)?(" + k + ")$").matcher(name).matches()) {
                    return k;
                }
            } catch (PatternSyntaxException e) {
                // not a regex Java understands: PEFT then falls back to an exact lookup of the name
                if (name.equals(k)) {
                    return k;
                }
            }
        }
        return null;
    }

    public int rankOf(ModuleKey key) {
        String k = patternKey(rankPattern.keySet(), moduleName(key));
        return k == null ? r : rankPattern.get(k);
    }

    public double alphaOf(ModuleKey key) {
        String k = patternKey(alphaPattern.keySet(), moduleName(key));
        return k == null ? loraAlpha : alphaPattern.get(k);
    }

    /** PEFT's scaling: alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public double scaleOf(ModuleKey key) {
        int rank = rankOf(key);
        double alpha = alphaOf(key);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** Whether PEFT would put a LoRA on this module (check_target_module_exists). */
    public boolean targets(ModuleKey key) {
        String name = moduleName(key);
        if (excludeModuleRegex != null && Pattern.compile(excludeModuleRegex).matcher(name).matches()) {
            return false;
        }
        if (excludeModuleList != null && excludeModuleList.stream().anyMatch(e -> name.equals(e) || name.endsWith("." + e))) {
            return false;
        }
        if (modulesToSave.stream().anyMatch(m -> Pattern.compile("(^|.*\\.)" + Pattern.quote(m) + "($|\\..*)").matcher(name).matches())) {
            return false; // PEFT never puts a LoRA on a module it saves whole
        }
        if (targetModuleRegex != null) {
            return targetModuleRegex.equals(ALL_LINEAR) || Pattern.compile(targetModuleRegex).matcher(name).matches();
        }
        if (targetModuleList.contains(name)) {
            return true; // a full name is taken as is, without the layer filter (as PEFT does)
        }
        if (targetModuleList.stream().noneMatch(t -> name.endsWith("." + t))) {
            return false;
        }
        if (layersToTransform == null || layersToTransform.isEmpty()) {
            return true;
        }
        Integer layer = layerIndex(name);
        return layer != null && layersToTransform.contains(layer);
    }

    /** The layer index PEFT reads from a module name: the first numbered segment, or the one after a layers_pattern. */
    private Integer layerIndex(String name) {
        List<String> patterns = layersPattern.isEmpty() ? List.of("[^.]*") : layersPattern;
        for (String p : patterns) {
            java.util.regex.Matcher m = Pattern.compile(".*?\\." + p + "\\.(\\d+)\\..*").matcher(name);
            if (m.matches()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return null;
    }
}
