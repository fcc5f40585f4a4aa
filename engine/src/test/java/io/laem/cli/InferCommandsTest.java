package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** laem generate / score in-process, checked against the golden file of the numpy reference. */
class InferCommandsTest {
    static final Path FIX = Path.of("src/test/resources/fixtures");
    static final Path LLAMA = FIX.resolve("llama");
    static final JsonNode GOLDEN = Json.readTree(Path.of("src/test/resources/golden/infer_golden.json"));

    static JsonNode golden(String model, String caseName) {
        for (JsonNode c : GOLDEN.get("cases")) {
            if (c.get("model").asText().equals(model) && c.get("case").asText().equals(caseName)) {
                return c;
            }
        }
        throw new AssertionError("no golden case " + model + "/" + caseName);
    }

    static Path data(Path dir, JsonNode c) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : c.get("pairs")) {
            sb.append(Json.JSON.createObjectNode().put("prompt", p.get("prompt").asText()).put("completion", p.get("completion").asText()))
                    .append('\n');
        }
        return Files.writeString(dir.resolve("data.jsonl"), sb.toString());
    }

    static void assertScores(JsonNode c, String json) throws Exception {
        JsonNode r = Json.JSON.readTree(json);
        assertEquals(List.of("examples", "mean_nll", "ppl"), iterable(r.fieldNames()));
        double sum = 0;
        long n = 0;
        for (int i = 0; i < c.get("pairs").size(); i++) {
            JsonNode g = c.get("pairs").get(i);
            JsonNode e = r.get("examples").get(i);
            assertEquals(List.of("nll", "tokens"), iterable(e.fieldNames()));
            assertEquals(g.get("tokens").asInt(), e.get("tokens").asInt());
            assertEquals(g.get("nll").asDouble(), e.get("nll").asDouble(), 1e-4 * g.get("nll").asDouble());
            sum += g.get("nll").asDouble();
            n += g.get("tokens").asInt();
        }
        assertEquals(sum / n, r.get("mean_nll").asDouble(), 1e-4 * sum / n);
        assertEquals(Math.exp(sum / n), r.get("ppl").asDouble(), 1e-3 * Math.exp(sum / n));
    }

    static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void scoreJsonWithAdapterAtWeightOne(@TempDir Path dir) throws Exception {
        JsonNode c = golden("qwen2", "a_at_1");
        CliRun r = CliRun.laem("score", "--base", FIX.resolve("qwen2").toString(), "--adapter", FIX.resolve("qwen2/adapter_a") + ":1",
                "--data", data(dir, c).toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertScores(c, r.out().strip());
    }

    @Test
    void scoreWithRecipePerLayerWeights(@TempDir Path dir) throws Exception {
        JsonNode c = golden("llama", "a_b_per_layer");
        Path recipe = Files.writeString(dir.resolve("recipe.yaml"), String.join("\n",
                "base_model: " + LLAMA.toAbsolutePath(),
                "adapters:",
                "  - {name: adapter_a, path: " + LLAMA.resolve("adapter_a").toAbsolutePath() + "}",
                "  - {name: adapter_b, path: " + LLAMA.resolve("adapter_b").toAbsolutePath() + "}",
                "weights:",
                "  adapter_a: [0.7, -0.3]",
                "  adapter_b: [0.25, 1.5]", ""));
        CliRun r = CliRun.laem("score", "--base", LLAMA.toString(), "--recipe", recipe.toString(), "--data", data(dir, c).toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertScores(c, r.out().strip());
    }

    @Test
    void scoreTableAndBaseCase(@TempDir Path dir) throws Exception {
        JsonNode c = golden("llama", "base");
        CliRun r = CliRun.laem("score", "--base", LLAMA.toString(), "--data", data(dir, c).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("mean NLL per token"), r.out());
    }

    @Test
    void generateStreamsGreedyText() {
        CliRun a = CliRun.laem("generate", "--base", LLAMA.toString(), "--adapter", LLAMA.resolve("adapter_a") + ":0.5", "--prompt", "the cat",
                "--max-tokens", "8");
        assertEquals(0, a.code(), a.err());
        CliRun b = CliRun.laem("generate", "--base", LLAMA.toString(), "--adapter", LLAMA.resolve("adapter_a") + ":0.5", "--prompt", "the cat",
                "--max-tokens", "8");
        assertEquals(a.out(), b.out());
        assertTrue(a.out().length() >= 1 && a.out().length() <= 9 + 1, a.out());
        CliRun chat = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "hi", "--chat", "--max-tokens", "3", "--temperature", "0.8",
                "--top-p", "0.9", "--seed", "3");
        assertEquals(0, chat.code(), chat.err());
    }

    @Test
    void badInputGetsOneLineErrors(@TempDir Path dir) throws Exception {
        CliRun longPrompt = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "x".repeat(600));
        assertEquals(1, longPrompt.code());
        assertTrue(longPrompt.err().startsWith("laem: ") && longPrompt.err().contains("context is 512"), longPrompt.err());

        ModelConfig other = ModelConfig.parse("x", SyntheticModels.configJson(ModelSpec.tiny("llama").withLayers(3)));
        Path foreign = dir.resolve("foreign");
        SyntheticModels.writeAdapter(foreign, other, AdapterSpec.allLinear(2, 4), 1, "other");
        CliRun wrongBase = CliRun.laem("generate", "--base", LLAMA.toString(), "--adapter", foreign.toString(), "--prompt", "a");
        assertEquals(1, wrongBase.code());
        assertTrue(wrongBase.err().contains("adapter for another base?"), wrongBase.err());

        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        CliRun e = CliRun.laem("score", "--base", LLAMA.toString(), "--data", empty.toString());
        assertEquals(1, e.code());
        assertTrue(e.err().contains("empty.jsonl: no examples"), e.err());

        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\n[1,2]\n");
        CliRun m = CliRun.laem("score", "--base", LLAMA.toString(), "--data", bad.toString());
        assertEquals(1, m.code());
        assertTrue(m.err().contains("bad.jsonl:2:"), m.err());

        CliRun gpu = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "a", "--device", "gpu");
        if (gpu.code() != 0) {
            assertTrue(gpu.err().contains("--device gpu: no CUDA GPU"), gpu.err());
        }
        CliRun dev = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "a", "--device", "tpu");
        assertEquals(1, dev.code());
        assertTrue(dev.err().contains("auto, cpu or gpu"), dev.err());
        CliRun nanWeight = CliRun.laem("generate", "--base", LLAMA.toString(), "--adapter", LLAMA.resolve("adapter_a") + ":NaN", "--prompt", "a");
        assertEquals(1, nanWeight.code());
        assertTrue(nanWeight.err().contains("weight must be a finite number"), nanWeight.err());
        CliRun nanTemp = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "a", "--temperature", "NaN");
        assertEquals(1, nanTemp.code());
        assertTrue(nanTemp.err().startsWith("laem: temperature must be a finite number >= 0, got NaN"), nanTemp.err());
        CliRun topP = CliRun.laem("generate", "--base", LLAMA.toString(), "--prompt", "a", "--top-p", "Infinity");
        assertEquals(1, topP.code());
        assertTrue(topP.err().startsWith("laem: top-p must be in (0, 1]"), topP.err());
        for (CliRun x : List.of(longPrompt, wrongBase, e, m, dev, nanWeight, nanTemp, topP)) {
            assertEquals(1, x.err().strip().lines().count(), x.err());
        }
    }
}
