package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.HfModel;
import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The decoder's logits against the numpy reference of HF transformers + PEFT (golden/make_golden.py). */
class DecoderGoldenTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        GoldenSupport.GOLDEN.get("cases").forEach(c -> out.add(Arguments.of(c.get("model").asText() + "/" + c.get("case").asText(), c)));
        return out.stream();
    }

    static Decoder open(String family) {
        try (HfModel m = HfModel.open(GoldenSupport.FIXTURES.resolve(family))) {
            return Decoder.load(m);
        }
    }

    /**
     * A fixture with its weights stored in BF16 or F16 (rounded to nearest even from the F32 file, as the reference
     * rounds them), in a temp folder; the adapters stay F32.
     */
    static Path storedAs(String family, DType dtype, Path tmp) throws IOException {
        Path src = GoldenSupport.FIXTURES.resolve(family);
        Path dir = tmp.resolve(family + "-" + dtype);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        SafetensorsWriter w = new SafetensorsWriter();
        try (HfModel m = HfModel.open(src)) {
            for (String n : m.weights().names()) {
                w.add(n, dtype, m.weights().info(n).shape(), m.weights().floats(n));
            }
        }
        w.writeDirect(dir.resolve("model.safetensors"));
        return dir;
    }

    @TempDir
    static Path converted;

    /**
     * Logits to 1e-4 of the largest reference logit (max abs error), for every stored dtype: the reference rounds the
     * weights exactly as the stored file holds them and computes in float64, and the engine widens those same values
     * exactly, so what is left is float32 arithmetic, the same for F32, BF16 and F16 weights.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logitsMatchReference(String name, JsonNode c) throws IOException {
        String family = c.get("model").asText();
        Path dir = c.has("dtype") ? storedAs(family, DType.ofUserName(c.get("dtype").asText()), converted) : GoldenSupport.FIXTURES.resolve(family);
        Decoder opened;
        try (HfModel hf = HfModel.open(dir)) {
            opened = Decoder.load(hf);
        }
        try (Decoder d = opened; NDManager m = d.manager().newSubManager()) {
            GoldenSupport.applyAdapters(d, c);
            long[] ids = GoldenSupport.ids();
            NDArray logits = d.forward(m.create(ids, new Shape(1, ids.length)), null);
            GoldenSupport.assertClose(name, c.get("logits"), logits.toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void zeroCoefficientsGiveExactlyTheBase(String family) {
        try (Decoder d = open(family); NDManager m = d.manager().newSubManager()) {
            long[] ids = GoldenSupport.ids();
            NDArray x = m.create(ids, new Shape(1, ids.length));
            float[] base = d.forward(x, null).toFloatArray();
            d.bank().add("a", LoraAdapter.load(GoldenSupport.FIXTURES.resolve(family).resolve("adapter_a")).modules().values());
            d.bank().setAll("a", 0.5);
            float[] with = d.forward(x, null).toFloatArray();
            assertFalse(java.util.Arrays.equals(base, with));
            d.bank().setAll("a", 0);
            assertArrayEquals(base, d.forward(x, null).toFloatArray(), 0f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void paddingOnEitherSideLeavesRealTokensUnchanged(String family) {
        try (Decoder d = open(family); NDManager m = d.manager().newSubManager()) {
            long[] ids = GoldenSupport.ids();
            int t = ids.length;
            float[] alone = d.forward(m.create(ids, new Shape(1, t)), null).toFloatArray();
            int v = d.config().vocabSize();
            // row 0: right-padded by 3; row 1: left-padded by 3
            long[] batch = new long[2 * (t + 3)];
            float[] mask = new float[2 * (t + 3)];
            for (int i = 0; i < t; i++) {
                batch[i] = ids[i];
                mask[i] = 1;
                batch[(t + 3) + 3 + i] = ids[i];
                mask[(t + 3) + 3 + i] = 1;
            }
            float[] out = d.forward(m.create(batch, new Shape(2, t + 3)), m.create(mask, new Shape(2, t + 3))).toFloatArray();
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < v; j++) {
                    float e = alone[i * v + j];
                    float right = out[i * v + j];
                    float left = out[((t + 3) + 3 + i) * v + j];
                    if (Math.abs(e - right) > 1e-5 || Math.abs(e - left) > 1e-5) {
                        throw new AssertionError(family + " token " + i + " vocab " + j + ": " + e + " vs right " + right + " left " + left);
                    }
                }
            }
        }
    }
}
