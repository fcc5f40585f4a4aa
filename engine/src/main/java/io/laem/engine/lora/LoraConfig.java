package io.laem.engine.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PEFT {@code adapter_config.json}. Scaling and target matching follow PEFT's LoraModel: rank and
 * alpha patterns match a module when {@code (.*\.)?(KEY)$} matches its full name; a string
 * target_modules is a full-match regex; a list matches on the name's last component.
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
        ObjectNode raw) {

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
        JsonNode rn = n.get("r");
        if (rn == null || !rn.isIntegralNumber() || rn.asInt() <= 0) {
            throw new LaemException(file + ": field 'r' must be a positive integer, got " + rn);
        }
        JsonNode an = n.get("lora_alpha");
        if (an != null && !an.isNumber()) {
            throw new LaemException(file + ": field 'lora_alpha' must be a number, got " + an);
        }
        List<String> list = null;
        String regex = null;
        JsonNode tm = n.get("target_modules");
        if (tm == null || tm.isNull()) {
            throw new LaemException(file + ": field 'target_modules' is missing");
        } else if (tm.isTextual()) {
            regex = tm.asText();
            if (!regex.equals(ALL_LINEAR)) {
                try {
                    Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    throw new LaemException(file + ": field 'target_modules' is not a valid regex: " + regex);
                }
            }
        } else if (tm.isArray()) {
            list = new ArrayList<>();
            for (JsonNode x : tm) {
                list.add(x.asText());
            }
        } else {
            throw new LaemException(file + ": field 'target_modules' must be a list or a string");
        }
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        n.path("rank_pattern").fields().forEachRemaining(e -> {
            if (!e.getValue().isIntegralNumber() || e.getValue().asInt() <= 0) {
                throw new LaemException(file + ": rank_pattern '" + e.getKey() + "' must be a positive integer");
            }
            rankPattern.put(e.getKey(), e.getValue().asInt());
        });
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        n.path("alpha_pattern").fields().forEachRemaining(e -> {
            if (!e.getValue().isNumber()) {
                throw new LaemException(file + ": alpha_pattern '" + e.getKey() + "' must be a number");
            }
            alphaPattern.put(e.getKey(), e.getValue().asDouble());
        });
        List<Integer> layers = null;
        JsonNode lt = n.get("layers_to_transform");
        if (lt != null && !lt.isNull()) {
            layers = new ArrayList<>();
            if (lt.isIntegralNumber()) {
                layers.add(lt.asInt());
            } else if (lt.isArray()) {
                for (JsonNode x : lt) {
                    layers.add(x.asInt());
                }
            } else {
                throw new LaemException(file + ": field 'layers_to_transform' must be an integer or a list");
            }
        }
        List<String> toSave = new ArrayList<>();
        n.path("modules_to_save").forEach(x -> toSave.add(x.asText()));
        return new LoraConfig(rn.asInt(), an == null ? 8 : an.asDouble(), list, regex, Map.copyOf(rankPattern),
                Map.copyOf(alphaPattern), n.path("use_rslora").asBoolean(false), n.path("fan_in_fan_out").asBoolean(false),
                layers, List.copyOf(toSave), n.path("base_model_name_or_path").asText(null), ((ObjectNode) n).deepCopy());
    }

    /** The full module name PEFT matches patterns against, e.g. {@code model.layers.3.self_attn.q_proj}. */
    public static String moduleName(ModuleKey key) {
        String block = key.kind().group() == ModuleKind.Group.ATTN ? "self_attn" : "mlp";
        return "model.layers." + key.layer() + "." + block + "." + key.kind().peftName();
    }

    private static String patternKey(Set<String> keys, String name) {
        for (String k : keys) {
            try {
                if (Pattern.compile("(.*\\.)?(" + k + ")$").matcher(name).matches()) {
                    return k;
                }
            } catch (PatternSyntaxException e) {
                if (name.endsWith(k)) {
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

    /** Whether PEFT would put a LoRA on this module. */
    public boolean targets(ModuleKey key) {
        if (layersToTransform != null && !layersToTransform.contains(key.layer())) {
            return false;
        }
        String name = moduleName(key);
        if (targetModuleRegex != null) {
            return targetModuleRegex.equals(ALL_LINEAR) || Pattern.compile(targetModuleRegex).matcher(name).matches();
        }
        for (String t : targetModuleList) {
            if (name.equals(t) || name.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
