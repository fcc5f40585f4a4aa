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
    /** The architecture families' cases (mistral, phi3, gemma2, gemma3), same ids and case names. */
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

    /** Adds the case's adapters to the bank with their per-layer weights. */
    static void applyAdapters(Decoder d, JsonNode c) {
        for (JsonNode a : c.get("adapters")) {
            String name = a.get("dir").asText();
            if (!d.bank().contains(name)) {
                d.bank().add(name, LoraAdapter.load(FIXTURES.resolve(c.get("model").asText()).resolve(name)).modules().values());
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
        assertTrue(maxErr <= TOLERANCE * maxRef, what + ": max error " + maxErr + " vs max |ref| " + maxRef);
    }
}
