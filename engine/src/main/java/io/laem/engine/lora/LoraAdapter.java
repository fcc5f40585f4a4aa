package io.laem.engine.lora;

import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A PEFT LoRA adapter folder, loaded into memory as factors per module (adapters are small: the
 * factors of a rank-16 adapter on a 0.5B model are tens of MB). {@link MappedAdapter} reads the same
 * folder without decoding.
 */
public final class LoraAdapter {
    public static final String WEIGHTS = "adapter_model.safetensors";

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
        try (MappedAdapter mapped = MappedAdapter.open(dir, name)) {
            SortedMap<ModuleKey, LoraModule> modules = new TreeMap<>();
            mapped.modules().values().forEach(m -> modules.put(m.key(), mapped.decode(m)));
            return new LoraAdapter(name, dir, mapped.config(), modules);
        }
    }

    /** Checks that every module exists in the base and the shapes agree; throws naming the first mismatch. */
    public void validateAgainst(ModelConfig base, Path baseDir) {
        modules.values().forEach(m -> MappedAdapter.checkShape(dir, m.key(), m.in(), m.out(), base, baseDir));
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
