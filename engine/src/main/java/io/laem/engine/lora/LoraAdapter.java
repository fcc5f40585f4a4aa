package io.laem.engine.lora;

import io.laem.engine.LaemException;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter folder, loaded into memory as factors per module (adapters are small: the
 * factors of a rank-16 adapter on a 0.5B model are tens of MB).
 */
public final class LoraAdapter {
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final Pattern KEY = Pattern.compile(
            "^(?:base_model\\.model\\.)?(.*)\\.(lora_A|lora_B)(?:\\.[A-Za-z0-9_-]+)?\\.weight$");

    private final String name;
    private final Path dir;
    private final LoraConfig config;
    private final SortedMap<ModuleKey, LoraModule> modules;

    public LoraAdapter(String name, Path dir, LoraConfig config, SortedMap<ModuleKey, LoraModule> modules) {
        this.name = name;
        this.dir = dir;
        this.config = config;
        this.modules = Collections.unmodifiableSortedMap(new TreeMap<>(modules));
    }

    /** Loads an adapter folder; the name defaults to the folder name. */
    public static LoraAdapter load(Path dir) {
        return load(dir, dir.toAbsolutePath().normalize().getFileName().toString());
    }

    public static LoraAdapter load(Path dir, String name) {
        if (!Files.isDirectory(dir)) {
            throw new LaemException(dir + ": not an adapter folder");
        }
        LoraConfig config = LoraConfig.read(dir.resolve(LoraConfig.FILE));
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.exists(weights)) {
            throw new LaemException(dir + ": missing " + WEIGHTS);
        }
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            return new LoraAdapter(name, dir, config, readModules(f, config));
        }
    }

    private static SortedMap<ModuleKey, LoraModule> readModules(SafetensorsFile f, LoraConfig config) {
        Map<String, String[]> pairs = new HashMap<>();
        for (TensorInfo t : f.tensors()) {
            String n = t.name();
            if (n.contains("lora_embedding_A") || n.contains("lora_embedding_B")) {
                throw new LaemException(f.path() + ": tensor '" + n + "': embedding LoRA is not supported");
            }
            if (n.contains("lora_magnitude_vector")) {
                throw new LaemException(f.path() + ": tensor '" + n + "': DoRA adapters are not supported");
            }
            Matcher m = KEY.matcher(n);
            if (!m.matches()) {
                if (n.endsWith(".bias")) {
                    throw new LaemException(f.path() + ": tensor '" + n + "': LoRA bias is not supported");
                }
                throw new LaemException(f.path() + ": tensor '" + n + "' is not a LoRA factor (modules_to_save and other extras are not supported)");
            }
            String[] ab = pairs.computeIfAbsent(m.group(1), k -> new String[2]);
            ab[m.group(2).equals("lora_A") ? 0 : 1] = n;
        }
        SortedMap<ModuleKey, LoraModule> modules = new TreeMap<>();
        for (Map.Entry<String, String[]> e : pairs.entrySet()) {
            String path = e.getKey();
            ModuleKey key = ArchitectureTemplate.parseModulePath(path).orElseThrow(() -> new LaemException(
                    f.path() + ": tensor '" + e.getValue()[e.getValue()[0] != null ? 0 : 1] + "' is not on a supported module (q/k/v/o/gate/up/down_proj of a decoder layer)"));
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                throw new LaemException(f.path() + ": module '" + path + "' has only one of lora_A and lora_B");
            }
            TensorInfo ia = f.info(e.getValue()[0]);
            TensorInfo ib = f.info(e.getValue()[1]);
            if (ia.rank() != 2 || ib.rank() != 2) {
                throw new LaemException(f.path() + ": tensor '" + (ia.rank() != 2 ? ia.name() : ib.name()) + "' must be 2-D");
            }
            int r = ia.dim(0);
            if (ib.dim(1) != r) {
                throw new LaemException(f.path() + ": tensor '" + ib.name() + "' has shape " + ib.shapeString()
                        + " but lora_A has rank " + r);
            }
            if (!config.targets(key)) {
                throw new LaemException(f.path() + ": tensor '" + ia.name() + "' is on " + LoraConfig.moduleName(key)
                        + ", which the target_modules/layers_to_transform of adapter_config.json do not cover");
            }
            int expected = config.rankOf(key);
            if (r != expected) {
                throw new LaemException(f.path() + ": tensor '" + ia.name() + "' has rank " + r + " but adapter_config.json gives "
                        + expected + " for " + LoraConfig.moduleName(key));
            }
            if (modules.containsKey(key)) {
                throw new LaemException(f.path() + ": module " + LoraConfig.moduleName(key) + " appears twice");
            }
            modules.put(key, new LoraModule(key, r, ia.dim(1), ib.dim(0), f.finiteFloats(ia.name()), f.finiteFloats(ib.name()),
                    config.scaleOf(key)));
        }
        if (modules.isEmpty()) {
            throw new LaemException(f.path() + ": no LoRA factors found");
        }
        return modules;
    }

    /** Checks that every module exists in the base and the shapes agree; throws naming the first mismatch. */
    public void validateAgainst(ModelConfig base, Path baseDir) {
        for (LoraModule m : modules.values()) {
            ModuleKey k = m.key();
            String where = dir.resolve(WEIGHTS) + ": module " + LoraConfig.moduleName(k);
            if (k.layer() >= base.numLayers()) {
                throw new LaemException(where + " is past the base model's " + base.numLayers() + " layers (" + baseDir
                        + "): adapter for another base?");
            }
            int in = k.kind().inFeatures(base);
            int out = k.kind().outFeatures(base);
            if (m.in() != in || m.out() != out) {
                throw new LaemException(where + " is [" + m.out() + " x " + m.in() + "] but the base (" + baseDir + ") has ["
                        + out + " x " + in + "]: adapter for another base?");
            }
        }
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public LoraConfig config() {
        return config;
    }

    public SortedMap<ModuleKey, LoraModule> modules() {
        return modules;
    }

    public Optional<LoraModule> module(ModuleKey key) {
        return Optional.ofNullable(modules.get(key));
    }

    /** Layers with at least one module, ascending. */
    public List<Integer> layers() {
        return modules.keySet().stream().map(ModuleKey::layer).distinct().sorted().toList();
    }

    /** Largest rank over modules. */
    public int maxRank() {
        return modules.values().stream().mapToInt(LoraModule::rank).max().orElse(0);
    }
}
