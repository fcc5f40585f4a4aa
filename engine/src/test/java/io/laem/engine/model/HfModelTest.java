package io.laem.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.synth.ModelSpec;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelTest {
    @TempDir
    Path tmp;

    @Test
    void opensEveryFamilyAndCountsParameters() {
        for (String type : new String[] {"llama", "mistral", "qwen2", "qwen3"}) {
            Path dir = Fixtures.model(tmp.resolve(type), ModelSpec.tiny(type), 1);
            try (HfModel m = HfModel.open(dir)) {
                assertEquals(type, m.config().modelType());
                assertEquals(m.config().parameterCount(), m.weights().elementCount(), type);
                assertEquals("F32", m.storageDtype());
            }
        }
        try (HfModel m = HfModel.open(Fixtures.model(tmp.resolve("bf16"), ModelSpec.tiny("llama").withDtype(DType.BF16), 1))) {
            assertEquals("BF16", m.storageDtype());
        }
    }

    /** Rewrites the model's single safetensors file, letting {@code edit} rename/reshape tensors. */
    private Path rewritten(String name, UnaryOperator<TensorInfo> edit) throws IOException {
        Path dir = Fixtures.model(tmp.resolve(name), ModelSpec.tiny("llama"), 1);
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                TensorInfo e = edit.apply(t);
                if (e != null) {
                    w.addRaw(e.name(), e.dtype(), e.shape(), f.bytes(t).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        w.write(file);
        return dir;
    }

    private String openError(Path dir) {
        return assertThrows(LaemException.class, () -> HfModel.open(dir).close()).getMessage();
    }

    @Test
    void shapeAndPresenceChecksNameTheTensor() throws IOException {
        String q = "model.layers.1.self_attn.q_proj.weight";
        Path missing = rewritten("missing", t -> t.name().equals(q) ? null : t);
        assertEquals(missing + ": missing tensor '" + q + "'", openError(missing));

        Path transposed = rewritten("transposed", t -> t.name().equals("model.layers.0.mlp.down_proj.weight")
                ? new TensorInfo(t.name(), t.dtype(), new long[] {t.shape()[1], t.shape()[0]}, t.begin(), t.end()) : t);
        assertEquals(transposed + ": tensor 'model.layers.0.mlp.down_proj.weight' has shape [64, 32], config implies [32, 64]",
                openError(transposed));

        Path ints = rewritten("ints", t -> t.name().equals("model.norm.weight") ? new TensorInfo(t.name(), DType.I32, t.shape(), t.begin(), t.end()) : t);
        assertEquals(ints + ": tensor 'model.norm.weight' has dtype I32, expected a float type", openError(ints));
    }

    @Test
    void folderProblems() throws IOException {
        assertEquals(tmp.resolve("nope") + ": not a model folder", openError(tmp.resolve("nope")));
        Path noConfig = Files.createDirectories(tmp.resolve("noconfig"));
        assertEquals(noConfig.resolve("config.json") + ": file not found", openError(noConfig));
        Path dir = Fixtures.tinyLlama(tmp);
        assertTrue(HfModel.isModelFolder(dir));
        try (HfModel m = HfModel.open(dir)) {
            assertTrue(m.tokenizerJson().isEmpty());
        }
    }
}
