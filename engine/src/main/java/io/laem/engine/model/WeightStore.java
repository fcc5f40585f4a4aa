package io.laem.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The tensors of a model folder: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Every shard is memory-mapped; nothing is copied until asked.
 */
public final class WeightStore implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    private final Map<String, SafetensorsFile> shards = new LinkedHashMap<>();

    private final Path dir;

    private WeightStore(Path dir) {
        this.dir = dir;
    }

    public static WeightStore open(Path dir) {
        WeightStore store = new WeightStore(dir);
        try {
            Path index = dir.resolve(INDEX);
            if (Files.exists(index)) {
                store.openSharded(dir, index);
            } else if (Files.exists(dir.resolve(SINGLE))) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
                store.shards.put(SINGLE, f);
                f.tensors().forEach(t -> store.byTensor.put(t.name(), f));
            } else {
                List<Path> any = listSafetensors(dir);
                if (any.size() != 1) {
                    throw new LaemException(dir + ": no " + SINGLE + " or " + INDEX + " found");
                }
                SafetensorsFile f = SafetensorsFile.open(any.getFirst());
                store.shards.put(any.getFirst().getFileName().toString(), f);
                f.tensors().forEach(t -> store.byTensor.put(t.name(), f));
            }
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static List<Path> listSafetensors(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new LaemException(dir + ": cannot list folder: " + e.getMessage());
        }
    }

    private void openSharded(Path dir, Path index) {
        JsonNode root = Json.readTree(index);
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new LaemException(index + ": missing object 'weight_map'");
        }
        Path base = dir.toAbsolutePath().normalize();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new LaemException(index + ": shard of tensor '" + e.getKey() + "' is not a file name: " + e.getValue());
            }
            String shard = e.getValue().asText();
            Path p = base.resolve(shard).normalize();
            if (shard.isEmpty() || !p.getParent().equals(base)) {
                throw new LaemException(index + ": shard name '" + shard + "' for tensor '" + e.getKey() + "' leaves the model folder");
            }
            SafetensorsFile f = shards.computeIfAbsent(shard, s -> SafetensorsFile.open(p));
            if (!f.contains(e.getKey())) {
                throw new LaemException(index + ": tensor '" + e.getKey() + "' is not in shard " + shard);
            }
            byTensor.put(e.getKey(), f);
        }
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /** Number of elements of all tensors (the model's real parameter count). */
    public long elementCount() {
        return byTensor.keySet().stream().mapToLong(n -> info(n).elementCount()).sum();
    }

    public List<String> names() {
        return new ArrayList<>(byTensor.keySet());
    }

    public Optional<TensorInfo> find(String name) {
        SafetensorsFile f = byTensor.get(name);
        return f == null ? Optional.empty() : f.find(name);
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    public float[] floats(String name) {
        return file(name).floats(name);
    }

    public MemorySegment bytes(String name) {
        SafetensorsFile f = file(name);
        return f.bytes(f.info(name));
    }

    /** Shard file name of each tensor, in insertion order (for writing a model sharded like its input). */
    public Map<String, String> shardOf() {
        Map<String, String> out = new LinkedHashMap<>();
        byTensor.forEach((t, f) -> out.put(t, f.path().getFileName().toString()));
        return out;
    }

    public boolean sharded() {
        return shards.size() > 1 || !shards.containsKey(SINGLE);
    }

    public Map<String, String> metadataOfFirstShard() {
        return shards.values().stream().findFirst().map(SafetensorsFile::metadata).orElse(Map.of());
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new LaemException(dir + ": no tensor '" + name + "' in the model weights");
        }
        return f;
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsFile::close);
        shards.clear();
    }
}
