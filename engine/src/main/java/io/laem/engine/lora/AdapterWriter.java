package io.laem.engine.lora;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * Writes an adapter with the given config JSON verbatim (round trips, fixtures, the demo kit),
     * replacing an earlier laem output there (never a folder laem did not write).
     */
    public static void write(Path dir, ObjectNode config, Collection<LoraModule> modules, DType dtype) {
        write(OutputTarget.folder(dir).force(true), config, modules, dtype);
    }

    /** As above, to a checked output target. */
    public static void write(OutputTarget out, ObjectNode config, Collection<LoraModule> modules, DType dtype) {
        out.write(tmp -> writeInto(tmp, config, weightsWriter(modules, dtype)));
    }

    /**
     * Writes adapter_config.json and the weights of {@code w} (from {@link #weightsWriter()}, with
     * lora_A and lora_B of each module added in module order) into a folder that an atomic directory write owns.
     */
    public static void writeInto(Path dir, ObjectNode config, SafetensorsWriter w) throws java.io.IOException {
        Files.writeString(dir.resolve(LoraConfig.FILE), config.toPrettyString());
        w.writeDirect(dir.resolve(LoraAdapter.WEIGHTS));
    }

    /** An empty writer for adapter weights, with PEFT's metadata. */
    public static SafetensorsWriter weightsWriter() {
        return new SafetensorsWriter().metadata("format", "pt");
    }

    /** A writer for the weights of {@code modules} in module order, stored as {@code dtype} (encoded while written). */
    public static SafetensorsWriter weightsWriter(Collection<LoraModule> modules, DType dtype) {
        SafetensorsWriter w = weightsWriter();
        for (LoraModule m : new TreeMap<>(modules.stream().collect(java.util.stream.Collectors.toMap(LoraModule::key, x -> x))).values()) {
            String name = LoraConfig.moduleName(m.key());
            w.addLazily(keyA(name), dtype, new long[] {m.rank(), m.in()}, m.a());
            w.addLazily(keyB(name), dtype, new long[] {m.out(), m.rank()}, m.b());
        }
        return w;
    }

    /**
     * A config for modules whose scale is already baked into B, or is {@code scale} per module:
     * r and lora_alpha are the most common rank, and rank_pattern/alpha_pattern give every other
     * module its own rank and an alpha that reproduces its scale.
     */
    public static ObjectNode configFor(Collection<LoraModule> modules, String baseModel) {
        return configFor(modules.stream().map(LoraModule::key).toList(), modules.stream().mapToInt(LoraModule::rank).toArray(),
                modules.stream().mapToDouble(LoraModule::scale).toArray(), baseModel);
    }

    /** As above, for modules given as keys with their ranks and scales (in the same order). */
    public static ObjectNode configFor(List<ModuleKey> keys, int[] ranks, double[] scales, String baseModel) {
        Map<Integer, Integer> rankCounts = new TreeMap<>();
        for (int rank : ranks) {
            rankCounts.merge(rank, 1, Integer::sum);
        }
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
        keys.stream().map(ModuleKey::kind).distinct().sorted().map(ModuleKind::peftName).forEach(targets::add);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            String name = LoraConfig.moduleName(keys.get(i));
            if (ranks[i] != r) {
                rankPattern.put(name, ranks[i]);
            }
            double alpha = scales[i] * ranks[i];
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
