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
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter folder opened without decoding its factors: the config and, per module, where
 * lora_A and lora_B lie in the memory-mapped safetensors file. Opening checks the structure (tensor
 * names, shapes, ranks and targets against adapter_config.json); the values are checked (finite)
 * when read. {@link LoraAdapter#load} decodes it; streaming writers read the mapped factors directly.
 */
public final class MappedAdapter implements AutoCloseable {
    private static final Pattern KEY = Pattern.compile(
            "^(?:base_model\\.model\\.)?(.*)\\.(lora_A|lora_B)(?:\\.[A-Za-z0-9_-]+)?\\.weight$");

    /** One module's factors in the file: {@code a} is [rank, in], {@code b} is [out, rank]; the delta is {@code scale * B A}. */
    public record Module(ModuleKey key, int rank, int in, int out, TensorInfo a, TensorInfo b, double scale) {}

    private final String name;
    private final Path dir;
    private final LoraConfig config;
    private final SafetensorsFile file;
    private final SortedMap<ModuleKey, Module> modules;

    private MappedAdapter(String name, Path dir, LoraConfig config, SafetensorsFile file, SortedMap<ModuleKey, Module> modules) {
        this.name = name;
        this.dir = dir;
        this.config = config;
        this.file = file;
        this.modules = Collections.unmodifiableSortedMap(modules);
    }

    /** Opens an adapter folder; close it to unmap the weights. */
    public static MappedAdapter open(Path dir, String name) {
        if (!Files.isDirectory(dir)) {
            throw new LaemException(dir + ": not an adapter folder");
        }
        LoraConfig config = LoraConfig.read(dir.resolve(LoraConfig.FILE));
        Path weights = dir.resolve(LoraAdapter.WEIGHTS);
        if (!Files.exists(weights)) {
            throw new LaemException(dir + ": missing " + LoraAdapter.WEIGHTS);
        }
        SafetensorsFile f = SafetensorsFile.open(weights);
        try {
            return new MappedAdapter(name, dir, config, f, index(f, config));
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static SortedMap<ModuleKey, Module> index(SafetensorsFile f, LoraConfig config) {
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
        SortedMap<ModuleKey, Module> modules = new TreeMap<>();
        for (Map.Entry<String, String[]> e : pairs.entrySet()) {
            String path = e.getKey();
            ModuleKey key = ArchitectureTemplate.parseModulePath(path).orElseThrow(() -> new LaemException(
                    f.path() + ": tensor '" + e.getValue()[e.getValue()[0] != null ? 0 : 1] + "' is not on a module any supported family has ("
                    + java.util.Arrays.stream(io.laem.engine.model.ModuleKind.values()).map(io.laem.engine.model.ModuleKind::peftName)
                            .collect(java.util.stream.Collectors.joining("/")) + " of a decoder layer)"));
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
            modules.put(key, new Module(key, r, ia.dim(1), ib.dim(0), ia, ib, config.scaleOf(key)));
        }
        if (modules.isEmpty()) {
            throw new LaemException(f.path() + ": no LoRA factors found");
        }
        return modules;
    }

    /** Checks that every module exists in the base and the shapes agree; throws naming the first mismatch. */
    public void validateAgainst(ModelConfig base, Path baseDir) {
        modules.values().forEach(m -> checkShape(dir, m.key(), m.in(), m.out(), base, baseDir));
    }

    /** The check of {@link #validateAgainst} for one module of the adapter in {@code dir}. */
    static void checkShape(Path dir, ModuleKey k, int in, int out, ModelConfig base, Path baseDir) {
        String where = dir.resolve(LoraAdapter.WEIGHTS) + ": module " + LoraConfig.moduleName(k);
        if (!base.modules().contains(k.kind())) {
            throw new LaemException(where + " is not a module of the base (" + baseDir + ", " + base.template().family() + ": "
                    + base.template().moduleNames() + "): adapter for another model family?");
        }
        if (k.layer() >= base.numLayers()) {
            throw new LaemException(where + " is past the base model's " + base.numLayers() + " layers (" + baseDir
                    + "): adapter for another base?");
        }
        int baseIn = k.kind().inFeatures(base);
        int baseOut = k.kind().outFeatures(base);
        if (in != baseIn || out != baseOut) {
            throw new LaemException(where + " is [" + out + " x " + in + "] but the base (" + baseDir + ") has ["
                    + baseOut + " x " + baseIn + "]: adapter for another base?");
        }
    }

    /**
     * Decodes elements {@code [first, first + n)} of one of this adapter's factors into
     * {@code out[at..at + n)}, refusing NaN and infinity (naming the file, tensor and element).
     */
    public void read(TensorInfo factor, long first, float[] out, int at, int n) {
        file.read(factor, first, out, at, n, true);
    }

    /**
     * The raw bytes of elements {@code [first, first + n)} of one of this adapter's factors, in its
     * stored dtype, checked to be finite as {@link #read} checks them.
     */
    public java.lang.foreign.MemorySegment finiteBytes(TensorInfo factor, long first, int n) {
        return file.finiteBytes(factor, first, n);
    }

    /** A module decoded to the heap. */
    public LoraModule decode(Module m) {
        return new LoraModule(m.key(), m.rank(), m.in(), m.out(), file.finiteFloats(m.a().name()), file.finiteFloats(m.b().name()), m.scale());
    }

    public String name() {
        return name;
    }

    public LoraConfig config() {
        return config;
    }

    public SortedMap<ModuleKey, Module> modules() {
        return modules;
    }

    @Override
    public void close() {
        file.close();
    }
}
