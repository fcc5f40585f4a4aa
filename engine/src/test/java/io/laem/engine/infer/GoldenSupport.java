package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.io.Json;
import io.laem.engine.lora.LoraAdapter;
import java.nio.file.Path;

/** Reading the golden files written by golden/make_golden.py, and comparing to them. */
final class GoldenSupport {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final JsonNode GOLDEN = Json.readTree(Path.of("src/test/resources/golden/infer_golden.json"));
    /** The architecture families' cases (mistral, phi3, gemma2, gemma3, qwen2 with a sliding window), same ids and case names. */
    static final JsonNode FAMILIES = Json.readTree(Path.of("src/test/resources/golden/families_golden.json"));
    static final double TOLERANCE = 1e-4;

    /** Every case of both files. */
    static java.util.List<JsonNode> cases() {
        java.util.List<JsonNode> all = new java.util.ArrayList<>();
        GOLDEN.get("cases").forEach(all::add);
        FAMILIES.get("cases").forEach(all::add);
        return all;
    }

    private GoldenSupport() {}

    static long[] ids() {
        JsonNode n = GOLDEN.get("ids");
        long[] ids = new long[n.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = n.get(i).asLong();
        }
        return ids;
    }

    /** The fixture folder a case's adapters are in (its model's, unless the case edits a fixture's config). */
    static Path fixture(JsonNode c) {
        return FIXTURES.resolve(c.has("fixture") ? c.get("fixture").asText() : c.get("model").asText());
    }

    private static final java.util.Map<String, Path> EDITED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The model folder of a case: the fixture, or a copy of it (made once per model name and dtype, in a temporary
     * folder) whose config.json has the case's {@code config_changes} (e.g. qwen2 with use_sliding_window) and whose
     * weights are stored in the case's {@code dtype} (bf16, f16: rounded to nearest even from the F32 fixture, as
     * make_golden.py rounds them; the adapters stay F32).
     */
    static Path modelDir(JsonNode c) {
        JsonNode changes = c.path("config_changes");
        boolean edited = !changes.isMissingNode() && !changes.isEmpty();
        String dtype = c.path("dtype").asText("");
        if (!edited && dtype.isEmpty()) {
            return fixture(c);
        }
        return EDITED.computeIfAbsent(c.get("model").asText() + "@" + dtype, m -> {
            try {
                Path dir = java.nio.file.Files.createTempDirectory("laem-golden-" + m);
                dir.toFile().deleteOnExit();
                com.fasterxml.jackson.databind.node.ObjectNode cfg = (com.fasterxml.jackson.databind.node.ObjectNode)
                        Json.readTree(fixture(c).resolve("config.json"));
                if (edited) {
                    cfg.setAll((com.fasterxml.jackson.databind.node.ObjectNode) changes);
                }
                java.nio.file.Files.writeString(dir.resolve("config.json"), cfg.toPrettyString());
                for (String f : java.util.List.of("tokenizer.json", "tokenizer_config.json")) {
                    java.nio.file.Files.copy(fixture(c).resolve(f), dir.resolve(f));
                    dir.resolve(f).toFile().deleteOnExit();
                }
                Path weights = dir.resolve("model.safetensors");
                if (dtype.isEmpty()) {
                    java.nio.file.Files.copy(fixture(c).resolve("model.safetensors"), weights);
                } else {
                    io.laem.engine.io.DType dt = io.laem.engine.io.DType.ofUserName(dtype);
                    io.laem.engine.io.SafetensorsWriter w = new io.laem.engine.io.SafetensorsWriter();
                    try (io.laem.engine.model.HfModel hf = io.laem.engine.model.HfModel.open(fixture(c))) {
                        for (String n : hf.weights().names()) {
                            w.add(n, dt, hf.weights().info(n).shape(), hf.weights().floats(n));
                        }
                    }
                    w.writeDirect(weights);
                }
                weights.toFile().deleteOnExit();
                dir.resolve("config.json").toFile().deleteOnExit();
                return dir;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The decoder of a case's model folder. */
    static Decoder open(JsonNode c) {
        try (io.laem.engine.model.HfModel m = io.laem.engine.model.HfModel.open(modelDir(c))) {
            return Decoder.load(m);
        }
    }

    /** Adds the case's adapters to the bank with their per-layer weights. */
    static void applyAdapters(Decoder d, JsonNode c) {
        for (JsonNode a : c.get("adapters")) {
            String name = a.get("dir").asText();
            if (!d.bank().contains(name)) {
                d.bank().add(name, LoraAdapter.load(fixture(c).resolve(name)).modules().values());
            }
            JsonNode w = a.get("layer_weights");
            double[] lw = new double[w.size()];
            for (int i = 0; i < lw.length; i++) {
                lw[i] = w.get(i).asDouble();
            }
            d.bank().setLayerCoefficients(name, lw);
        }
    }

    /** max |actual - expected| <= tol * max |expected|, over a [rows, cols] matrix. */
    static void assertClose(String what, JsonNode expected, float[] actual) {
        double maxRef = 0;
        double maxErr = 0;
        int cols = expected.get(0).size();
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < cols; j++) {
                double e = expected.get(i).get(j).asDouble();
                maxRef = Math.max(maxRef, Math.abs(e));
                maxErr = Math.max(maxErr, Math.abs(e - actual[i * cols + j]));
            }
        }
        assertTrue(actual.length == expected.size() * cols, what + ": size " + actual.length);
        if (System.getenv("LAEM_GOLDEN_ERRORS") != null) {
            System.out.printf("golden %s: max error / max |ref| = %.2e%n", what, maxErr / maxRef);
        }
        assertTrue(maxErr <= TOLERANCE * maxRef, what + ": max error " + maxErr + " vs max |ref| " + maxRef);
    }
}
