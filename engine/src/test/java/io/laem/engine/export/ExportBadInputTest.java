package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.LoraAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Inputs GGUF cannot hold get one line naming the module, exit 1, and no output. */
class ExportBadInputTest {
    static final Path KIT = Path.of("../resources/demo");

    @TempDir
    Path tmp;

    /** The demo kit's shift adapter plus one extra LoRA tensor pair on {@code module}. */
    Path adapterWith(String module, String a, String b) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad-adapter"));
        Path src = KIT.resolve("adapters/shift");
        Files.copy(src.resolve("adapter_config.json"), dir.resolve("adapter_config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve(LoraAdapter.WEIGHTS))) {
            for (TensorInfo t : f.tensors()) {
                w.add(t.name(), DType.F32, t.shape(), f.floats(t.name()));
            }
        }
        w.add("base_model.model." + module + "." + a, DType.F32, new long[] {4, 49}, new float[4 * 49]);
        w.add("base_model.model." + module + "." + b, DType.F32, new long[] {128, 4}, new float[128 * 4]);
        w.write(dir.resolve(LoraAdapter.WEIGHTS));
        return dir;
    }

    Path recipeWith(Path adapter) throws IOException {
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, "base_model: " + KIT.resolve("base").toAbsolutePath() + "\nadapters:\n- name: bad\n  path: " + adapter.toAbsolutePath() + "\n");
        return recipe;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gguf-lora", "gguf-model:q8_0"})
    void embeddingLoraIsRefusedNamingTheModule(String format) throws IOException {
        Path recipe = recipeWith(adapterWith("model.embed_tokens", "lora_embedding_A", "lora_embedding_B"));
        Path out = tmp.resolve("out");
        CliRun r = CliRun.laem("merge", recipe.toString(), "--out", out.toString(), "--format", format);
        assertEquals(1, r.code(), r.err());
        assertOneLineNaming(r.err(), "model.embed_tokens");
        assertFalse(Files.exists(out));
    }

    @Test
    void lmHeadLoraIsRefusedNamingTheModule() throws IOException {
        Path recipe = recipeWith(adapterWith("lm_head", "lora_A.weight", "lora_B.weight"));
        Path out = tmp.resolve("out");
        CliRun r = CliRun.laem("merge", recipe.toString(), "--out", out.toString(), "--format", "gguf-lora");
        assertEquals(1, r.code(), r.err());
        assertOneLineNaming(r.err(), "lm_head");
        assertFalse(Files.exists(out));
    }

    @Test
    void aFamilyWithoutALlamaCppArchitectureIsRefusedNamingIt() {
        LaemException e = assertThrows(LaemException.class, () -> GgufArchitecture.of("gpt_bigcode"));
        assertOneLineNaming(e.getMessage(), "gpt_bigcode");
    }

    @Test
    void unknownFormatAndTypeAreRefused() {
        Path out = tmp.resolve("out");
        CliRun r = CliRun.laem("merge", KIT.resolve("recipe.yaml").toString(), "--out", out.toString(), "--format", "gguf-model:q4_k");
        assertEquals(1, r.code());
        assertOneLineNaming(r.err(), "q4_k");
        assertFalse(Files.exists(out));
    }

    static void assertOneLineNaming(String err, String what) {
        String msg = err.strip();
        assertFalse(msg.contains("\n"), "one line: " + msg);
        assertTrue(msg.contains(what), "names " + what + ": " + msg);
        assertFalse(msg.contains("Exception"), "no stack trace: " + msg);
    }
}
