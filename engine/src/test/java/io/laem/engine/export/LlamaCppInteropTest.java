package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.Json;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.HfModel;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF exports run in a real llama.cpp (node-llama-cpp 3.21.1) as they run in the engine: on the demo
 * kit's test prompts of all four tasks, llama.cpp's greedy completions equal the engine's and the
 * per-token log-probabilities of the reference completions agree to 1e-3 (F32 weights and K/V cache),
 * for the base, each adapter alone, a LAEM merge with per-layer weights (GGUF LoRA at scale 1) and the
 * same merge as a full GGUF model, and a merge with a weight per layer and module (GGUF LoRA). Q8_0's greedy agreement is printed. Skipped, with a message, where
 * node or the package is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaCppInteropTest {
    static final Path KIT = Path.of("../resources/demo");
    static final double TOL = 1e-3;
    /** Test prompts per task (all 200 by default; -Dlaem.interop.prompts=N for a quicker run). */
    static final int PROMPTS = Integer.getInteger("laem.interop.prompts", Integer.MAX_VALUE);
    static final List<String> TASKS = List.of("shift", "mirror", "nines", "spell");
    /** Per-layer weights of the merge (4 layers), deliberately unequal. */
    static final Map<String, double[]> LAYER_WEIGHTS = Map.of(
            "shift", new double[] {1.0, 0.8, 0.4, 0.9},
            "mirror", new double[] {0.2, 0.9, 0.7, 0.6},
            "nines", new double[] {0.5, 0.3, 1.1, 0.8},
            "spell", new double[] {0.9, 0.6, 0.4, 1.0});

    Path tmp;
    Decoder decoder;
    HfTokenizer tokenizer;
    Path baseGguf;
    /** Test prompts with their reference completions, per task. */
    final Map<String, List<long[][]>> cases = new LinkedHashMap<>();

    @BeforeAll
    void setUp(@TempDir Path dir) throws IOException {
        tmp = dir;
        var why = LlamaCppPeer.unavailable();
        if (why.isPresent()) {
            System.err.println("LlamaCppInteropTest SKIPPED: " + why.get());
        }
        assumeTrue(why.isEmpty(), () -> "llama.cpp interop skipped: " + why.get());
        try (HfModel m = HfModel.open(KIT.resolve("base"))) {
            decoder = Decoder.load(m);
            tokenizer = HfTokenizer.load(m);
        }
        for (String t : TASKS) {
            List<long[][]> list = new ArrayList<>();
            for (String line : Files.readAllLines(KIT.resolve("tasks/" + t + "/test.jsonl")).stream().limit(PROMPTS).toList()) {
                JsonNode n = Json.JSON.readTree(line);
                list.add(new long[][] {tokenizer.encode(n.get("prompt").asText()), tokenizer.encode(n.get("completion").asText(), false)});
            }
            cases.put(t, list);
        }
        baseGguf = tmp.resolve("base.gguf");
        GgufModelExport.write(KIT.resolve("base"), baseGguf, GgmlType.F32);
    }

    @AfterAll
    void tearDown() {
        if (decoder != null) {
            decoder.close();
            tokenizer.close();
        }
    }

    @Test
    void llamaCppTokenizesEveryTestPromptAsTheEngine() throws IOException {
        List<String> texts = new ArrayList<>();
        for (String t : TASKS) {
            for (String line : Files.readAllLines(KIT.resolve("tasks/" + t + "/test.jsonl")).stream().limit(PROMPTS).toList()) {
                JsonNode n = Json.JSON.readTree(line);
                texts.add(n.get("prompt").asText());
                texts.add(n.get("completion").asText());
            }
        }
        var req = Json.JSON.createObjectNode().put("model", baseGguf.toAbsolutePath().toString());
        texts.forEach(req.putArray("tokenize")::add);
        JsonNode got = LlamaCppPeer.run(req).get("tokens");
        for (int i = 0; i < texts.size(); i++) {
            long[] expected = tokenizer.encode(texts.get(i), false);
            long[] actual = new long[got.get(i).size()];
            for (int j = 0; j < actual.length; j++) {
                actual[j] = got.get(i).get(j).asLong();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, "'" + texts.get(i) + "'");
        }
    }

    @Test
    void baseAgreesOnEveryTestPrompt() {
        decoder.bank().zeroAll();
        assertAgree("base", baseGguf, List.of(), allCases());
    }

    @Test
    void eachAdapterAloneAgreesAsGgufLora() {
        for (String t : TASKS) {
            Recipe r = Recipe.of(KIT.resolve("base").toAbsolutePath(), List.of(new Recipe.AdapterRef(t, KIT.resolve("adapters/" + t).toAbsolutePath())));
            Path out = tmp.resolve("lora-" + t);
            ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(out), ProgressListener.NONE, CancellationToken.NONE);
            withOnly(t);
            assertAgree(t + " alone", baseGguf, List.of(out.resolve(GgufLoraFormat.FILE)), cases.get(t));
        }
    }

    @Test
    void laemMergeWithPerLayerWeightsAgreesAsGgufLoraAndAsGgufModel() {
        Recipe r = perLayerRecipe();
        Path lora = tmp.resolve("merged-lora");
        Path model = tmp.resolve("merged-model");
        ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(lora), ProgressListener.NONE, CancellationToken.NONE);
        ExportFormats.of("gguf-model:f32").export(r, OutputTarget.folder(model), ProgressListener.NONE, CancellationToken.NONE);
        liveMerge();
        List<long[][]> all = allCases();
        assertAgree("LAEM merge, GGUF LoRA", baseGguf, List.of(lora.resolve(GgufLoraFormat.FILE)), all);
        assertAgree("LAEM merge, GGUF model", model.resolve(GgufModelFormat.FILE), List.of(), all);
    }

    /**
     * Per-layer-module weights (what {@code laem optimize} finds by default on small models): the export bakes each
     * module's own weight into its factors, so llama.cpp at scale 1 runs the same merge as the bank with a coefficient
     * per module.
     */
    @Test
    void laemMergeWithPerModuleWeightsAgreesAsGgufLora() {
        Recipe r = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        for (String t : TASKS) {
            r = r.withWeight(t, Schedule.perModule(LAYER_WEIGHTS.get(t).length, (layer, kind) -> moduleWeight(t, layer, kind)));
        }
        Path lora = tmp.resolve("merged-per-module");
        ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(lora), ProgressListener.NONE, CancellationToken.NONE);
        for (String t : TASKS) {
            ensureInBank(t);
            for (ModuleKey key : decoder.bank().factors(t).keySet()) {
                decoder.bank().setCoefficient(t, key, moduleWeight(t, key.layer(), key.kind()));
            }
        }
        assertAgree("LAEM merge with per-module weights, GGUF LoRA", baseGguf, List.of(lora.resolve(GgufLoraFormat.FILE)), allCases());
    }

    /** A weight per (task, layer, module): the per-layer weight scaled by a factor that differs per module. */
    static double moduleWeight(String task, int layer, ModuleKind kind) {
        return LAYER_WEIGHTS.get(task)[layer] * (0.4 + 0.15 * kind.ordinal());
    }

    @Test
    void q8ModelGreedyAgreementIsReported() {
        Path model = tmp.resolve("merged-q8");
        ExportFormats.of("gguf-model:q8_0").export(perLayerRecipe(), OutputTarget.folder(model), ProgressListener.NONE, CancellationToken.NONE);
        liveMerge();
        List<long[][]> all = cases.values().stream().flatMap(l -> l.subList(0, Math.min(50, l.size())).stream()).toList();
        int same = new EngineVsLlamaCpp(decoder, tokenizer).greedyAgreement(model.resolve(GgufModelFormat.FILE), all);
        System.out.printf("Q8_0 GGUF model: llama.cpp's greedy completion equals the engine's (float32) on %d of %d demo test prompts%n", same, all.size());
        assertTrue(same > all.size() / 2, "Q8_0 agrees on " + same + " of " + all.size());
    }

    /** The recipe's adapters with {@link #LAYER_WEIGHTS}, exact output. */
    Recipe perLayerRecipe() {
        Recipe r = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        for (String t : TASKS) {
            r = r.withPerLayerWeights(t, LAYER_WEIGHTS.get(t));
        }
        return r;
    }

    /** The engine's live merge: the four adapters in the bank with the per-layer weights. */
    void liveMerge() {
        for (String t : TASKS) {
            ensureInBank(t);
            decoder.bank().setLayerCoefficients(t, LAYER_WEIGHTS.get(t));
        }
    }

    void withOnly(String task) {
        ensureInBank(task);
        decoder.bank().zeroAll();
        decoder.bank().setAll(task, 1.0);
    }

    void ensureInBank(String t) {
        if (!decoder.bank().contains(t)) {
            decoder.bank().add(t, LoraAdapter.load(KIT.resolve("adapters/" + t), t).modules().values());
        }
    }

    List<long[][]> allCases() {
        return cases.values().stream().flatMap(List::stream).toList();
    }

    /** llama.cpp's greedy completions equal the engine's, and the log-probs of the references agree to {@link #TOL}. */
    void assertAgree(String what, Path model, List<Path> adapters, List<long[][]> cs) {
        EngineVsLlamaCpp.Comparison c = new EngineVsLlamaCpp(decoder, tokenizer).compare(model, adapters, cs);
        System.out.println(what + ": " + c);
        assertEquals(0, c.greedyDiffer(), what + ": greedy completions differ, first: " + c.firstDiff());
        assertTrue(c.maxLogprobError() <= TOL, what + ": log-probs differ by " + c.maxLogprobError());
    }
}
