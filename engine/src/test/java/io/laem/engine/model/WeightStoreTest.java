package io.laem.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightStoreTest {
    @TempDir
    Path tmp;

    @Test
    void shardedReadsTheSameTensorsAsSingle() {
        Path single = Fixtures.tinyQwen2(tmp);
        Path sharded = Fixtures.sharded(single, tmp.resolve("sharded"), 3);
        try (WeightStore a = WeightStore.open(single); WeightStore b = WeightStore.open(sharded)) {
            assertTrue(b.sharded());
            assertEquals(3, b.shardOf().values().stream().distinct().count());
            assertEquals(a.names().stream().sorted().toList(), b.names().stream().sorted().toList());
            for (String n : a.names()) {
                assertArrayEquals(a.floats(n), b.floats(n), n);
            }
            assertEquals(a.elementCount(), b.elementCount());
        }
        try (HfModel m = HfModel.open(sharded)) {
            assertEquals("qwen2", m.config().modelType());
        }
    }

    private String openError(Path dir) {
        return assertThrows(LaemException.class, () -> WeightStore.open(dir).close()).getMessage();
    }

    private Path withShardName(String shard) throws IOException {
        Path dir = Fixtures.sharded(Fixtures.tinyLlama(tmp), tmp.resolve("s" + Math.abs(shard.hashCode())), 2);
        Path index = dir.resolve(WeightStore.INDEX);
        Files.writeString(index, Files.readString(index).replace("model-00002-of-00002.safetensors", shard));
        return dir;
    }

    @Test
    void shardNamesLeavingTheFolderAreRefused() throws IOException {
        Path outside = tmp.resolve("x.safetensors");
        Files.copy(Fixtures.tinyLlama(tmp).resolve("model.safetensors"), outside);
        for (String bad : new String[] {"../x.safetensors", outside.toString(), "sub/../../x.safetensors", "", "."}) {
            Path dir = withShardName(bad.replace("\\", "\\\\"));
            String msg = openError(dir);
            assertTrue(msg.startsWith(dir.resolve(WeightStore.INDEX) + ": shard name '" + bad + "' for tensor '"), msg);
            assertTrue(msg.endsWith("' leaves the model folder"), msg);
        }
    }

    @Test
    void indexErrorsNameTheIndexAndTensor() throws IOException {
        Path dir = withShardName("missing.safetensors");
        assertEquals(dir.resolve("missing.safetensors") + ": file not found", openError(dir));

        Path d2 = Fixtures.sharded(Fixtures.tinyLlama(tmp), tmp.resolve("wrong"), 2);
        Path index = d2.resolve(WeightStore.INDEX);
        Files.writeString(index, Files.readString(index).replaceFirst("\"weight_map\" : \\{",
                "\"weight_map\" : { \"ghost.weight\" : \"model-00001-of-00002.safetensors\","));
        String msg = openError(d2);
        assertEquals(index + ": tensor 'ghost.weight' is not in shard model-00001-of-00002.safetensors", msg);

        Files.writeString(index, "{\"weight_map\": []}");
        assertEquals(index + ": missing object 'weight_map'", openError(d2));
        Files.writeString(index, "{\"weight_map\": {\"a\": 3}}");
        assertEquals(index + ": shard of tensor 'a' is not a file name: 3", openError(d2));
        Files.writeString(index, "{\"weight_map\": ");
        assertTrue(openError(d2).startsWith(index + ": invalid JSON"));
    }

    @Test
    void missingWeightsAreNamed() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(empty + ": no model.safetensors or model.safetensors.index.json found", openError(empty));
        try (WeightStore w = WeightStore.open(Fixtures.tinyLlama(tmp))) {
            assertEquals(tmp.resolve("tiny-llama") + ": no tensor 'x' in the model weights",
                    assertThrows(LaemException.class, () -> w.floats("x")).getMessage());
        }
    }
}
