package io.laem.engine.lora;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) atomically.
 * Keys follow PEFT's saved form: {@code base_model.model.<module>.lora_A.weight}.
 */
public final class AdapterWriter {
    private AdapterWriter() {}

    public static String keyA(String moduleName) {
        return "base_model.model." + moduleName + ".lora_A.weight";
    }

    public static String keyB(String moduleName) {
        return "base_model.model." + moduleName + ".lora_B.weight";
    }

    /** Writes an adapter with the given config JSON verbatim (used for round trips). */
    public static void write(Path dir, ObjectNode config, Collection<LoraModule> modules, DType dtype) {
        AtomicFiles.writeDirectory(dir, tmp -> writeInto(tmp, config, modules, dtype));
    }

    /** Writes the adapter files into a folder that an atomic directory write owns (no atomicity of its own). */
    public static void writeInto(Path dir, ObjectNode config, Collection<LoraModule> modules, DType dtype) throws java.io.IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (LoraModule m : new TreeMap<>(modules.stream().collect(java.util.stream.Collectors.toMap(LoraModule::key, x -> x))).values()) {
            String name = LoraConfig.moduleName(m.key());
            w.addLazily(keyA(name), dtype, new long[] {m.rank(), m.in()}, m.a());
            w.addLazily(keyB(name), dtype, new long[] {m.out(), m.rank()}, m.b());
        }
        Files.writeString(dir.resolve(LoraConfig.FILE), config.toPrettyString());
        w.writeDirect(dir.resolve(LoraAdapter.WEIGHTS));
    }

    /**
     * A config for modules whose scale is already baked into B, or is {@code scale} per module:
     * r and lora_alpha are the most common rank, and rank_pattern/alpha_pattern give every other
     * module its own rank and an alpha that reproduces its scale.
     */
    public static ObjectNode configFor(Collection<LoraModule> modules, String baseModel) {
        Map<Integer, Integer> rankCounts = new TreeMap<>();
        modules.forEach(m -> rankCounts.merge(m.rank(), 1, Integer::sum));
        int r = rankCounts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(8);
        ObjectNode n = Json.JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", baseModel);
        n.put("r", r);
        n.put("lora_alpha", r);
        n.put("lora_dropout", 0.0);
        n.put("bias", "none");
        n.put("use_rslora", false);
        n.put("use_dora", false);
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        ArrayNode targets = n.putArray("target_modules");
        modules.stream().map(m -> m.key().kind()).distinct().sorted().map(ModuleKind::peftName).forEach(targets::add);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        for (LoraModule m : modules) {
            String name = LoraConfig.moduleName(m.key());
            if (m.rank() != r) {
                rankPattern.put(name, m.rank());
            }
            double alpha = m.scale() * m.rank();
            if (Math.abs(alpha - r) > 1e-12 * Math.max(1, Math.abs(alpha))) {
                alphaPattern.put(name, alpha);
            }
        }
        ObjectNode rp = n.putObject("rank_pattern");
        rankPattern.forEach(rp::put);
        ObjectNode ap = n.putObject("alpha_pattern");
        alphaPattern.forEach(ap::put);
        return n;
    }
}
