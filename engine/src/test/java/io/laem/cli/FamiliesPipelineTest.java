package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.infer.Decoder;
import io.laem.engine.io.Json;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The architecture families through the workbench's pipeline on their golden fixtures: {@code laem analyze}
 * (one row per module of the family: Phi-3's fused qkv_proj and gate_up_proj are one module each),
 * {@code laem merge} with per-layer weights (the merged delta of each module is the weighted sum of the
 * adapters' deltas) and its full-model export (whose logits equal the base with the merged adapter in the
 * live LoRA bank), and {@code laem optimize} (a short CMA-ES run whose merged adapter loads on the base).
 */
class FamiliesPipelineTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    @ParameterizedTest
    @ValueSource(strings = {"mistral", "phi3", "gemma2", "gemma3"})
    void analyzeMergeExportAndOptimize(String family, @TempDir Path dir) throws Exception {
        Path base = FIXTURES.resolve(family).toAbsolutePath();
        Path a = base.resolve("adapter_a");
        Path b = base.resolve("adapter_b");
        ModelConfig cfg = ModelConfig.read(base.resolve("config.json"));
        Set<String> familyModules = cfg.modules().stream().map(k -> k.peftName()).collect(Collectors.toSet());

        MergeCommandTest.Run analyze = MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", a.toString(),
                "--adapter", b.toString(), "--json");
        assertEquals(0, analyze.code(), analyze.err());
        JsonNode modules = Json.JSON.readTree(analyze.out()).get("modules");
        assertEquals(2 * cfg.numLayers() * cfg.modules().size(), modules.size());
        modules.forEach(m -> assertTrue(familyModules.contains(m.get("module").asText()), m.toString()));

        // merge with per-layer weights, and the full model with the merged delta baked in
        Path recipe = dir.resolve("recipe.yaml");
        Path tasks = OptimizeCommandTest.writeTasks(dir);
        RecipeYaml.write(Recipe.of(base, List.of(new Recipe.AdapterRef("a", a), new Recipe.AdapterRef("b", b)))
                .withWeight("a", Schedule.perLayer(new double[] {0.7, -0.3})).withWeight("b", Schedule.perLayer(new double[] {0.25, 1.5}))
                .withTasks(tasks), recipe);
        Path out = dir.resolve("merged");
        Path full = dir.resolve("full");
        MergeCommandTest.Run merge = MergeCommandTest.laem("merge", recipe.toString(), "--out", out.toString(), "--full-model",
                full.toString());
        assertEquals(0, merge.code(), merge.err());
        LoraAdapter merged = LoraAdapter.load(out);
        LoraAdapter la = LoraAdapter.load(a);
        LoraAdapter lb = LoraAdapter.load(b);
        assertEquals(la.modules().keySet(), merged.modules().keySet());
        for (ModuleKey key : merged.modules().keySet()) {
            float[] da = la.modules().get(key).denseDelta();
            float[] db = lb.modules().get(key).denseDelta();
            float[] got = merged.modules().get(key).denseDelta();
            double wa = key.layer() == 0 ? 0.7 : -0.3;
            double wb = key.layer() == 0 ? 0.25 : 1.5;
            for (int i = 0; i < got.length; i++) {
                double want = wa * da[i] + wb * db[i];
                assertEquals(want, got[i], 1e-5 * (1 + Math.abs(want)), family + " " + key + " entry " + i);
            }
        }
        long[] ids = {1, 5, 17, 33, 8, 60, 2, 44, 90, 12, 7};
        float[] viaBank;
        float[] viaFullModel;
        try (HfModel hf = HfModel.open(base); Decoder d = Decoder.load(hf); NDManager m = d.manager().newSubManager()) {
            d.bank().add("merged", merged.modules().values());
            d.bank().setAll("merged", 1);
            viaBank = d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
        }
        try (HfModel hf = HfModel.open(full); Decoder d = Decoder.load(hf); NDManager m = d.manager().newSubManager()) {
            viaFullModel = d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
        }
        assertArrayEquals(viaBank, viaFullModel, 1e-4f);

        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int rc = OptimizeCommandTest.run(so, se, "optimize", recipe.toString(), "--budget", "4", "--param", "per-task", "--seed", "1",
                "--test-examples", "1", "--out", dir.resolve("opt").toString());
        assertEquals(0, rc, se.toString());
        LoraAdapter best = LoraAdapter.load(dir.resolve("opt").resolve("adapter"));
        best.validateAgainst(cfg, base);
        for (LoraModule m : best.modules().values()) {
            assertTrue(cfg.modules().contains(m.key().kind()), m.key().toString());
        }
    }
}
