package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.Json;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContributionMapTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/llama").toAbsolutePath();

    static final Map<String, List<Scorer.Example>> DATA = Map.of(
            "x", List.of(new Scorer.Example("the cat", " sat on"), new Scorer.Example("a b", " c d")),
            "y", List.of(new Scorer.Example("hello", " world"), new Scorer.Example("one two", " three")));

    /** Adapter a at 0.8, b off (weight 0): removing b anywhere changes nothing. */
    static Recipe recipe() {
        return Recipe.of(FIXTURE, List.of(new Recipe.AdapterRef("a", FIXTURE.resolve("adapter_a")),
                        new Recipe.AdapterRef("b", FIXTURE.resolve("adapter_b"))))
                .withWeight("a", Schedule.constant(0.8)).withWeight("b", Schedule.constant(0));
    }

    @Test
    void eachCellIsTheLossRiseOfThatAblation() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu()); LiveMerge.Use u = live.use("test")) {
            Scorer scorer = new Scorer(u.decoder(), u.tokenizer());
            var data = new java.util.TreeMap<>(DATA);
            ContributionMap map = ContributionMap.exact(live, recipe(), data, scorer, ProgressListener.NONE, CancellationToken.NONE);
            assertEquals(List.of("x", "y"), map.tasks());
            assertEquals(List.of("a", "b"), map.entries());
            int layers = live.numLayers();
            for (int t = 0; t < 2; t++) {
                for (int l = 0; l < layers; l++) {
                    assertEquals(0.0, map.rise()[t][l][1], 0.0, "b has weight 0: removing it changes nothing");
                }
            }
            // one cell recomputed through the recipe path: a's weight per layer with layer 1 at 0
            double[] perLayer = new double[layers];
            java.util.Arrays.fill(perLayer, 0.8);
            perLayer[1] = 0;
            live.show(recipe().withPerLayerWeights("a", perLayer), ProgressListener.NONE, CancellationToken.NONE);
            double ablated = scorer.score(DATA.get("y")).meanNll();
            live.show(recipe(), ProgressListener.NONE, CancellationToken.NONE);
            double ref = scorer.score(DATA.get("y")).meanNll();
            assertEquals(ref, map.reference().get("y"), 1e-6);
            assertEquals(ablated - ref, map.of("y")[1][0], 1e-6);
            assertTrue(Math.abs(map.of("y")[1][0]) > 1e-6, "the fixture's adapter a changes the loss in layer 1");
        }
    }

    @Test
    void commandPrintsTheMapAsJson(@TempDir Path dir) throws Exception {
        for (String t : List.of("x", "y")) {
            StringBuilder sb = new StringBuilder();
            for (Scorer.Example e : DATA.get(t)) {
                sb.append(Json.JSON.createObjectNode().put("prompt", e.prompt()).put("completion", e.completion())).append('\n');
            }
            Files.createDirectories(dir.resolve("tasks/" + t));
            Files.writeString(dir.resolve("tasks/" + t + "/validation.jsonl"), sb);
        }
        Files.writeString(dir.resolve("tasks.yaml"), "tasks:\n  x: {validation: tasks/x/validation.jsonl}\n  y: {validation: tasks/y/validation.jsonl}\n");
        RecipeYaml.write(recipe().withTasks(dir.resolve("tasks.yaml")), dir.resolve("recipe.yaml"));
        CliRun r = CliRun.laem("analyze", "--contribution", dir.resolve("recipe.yaml").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode n = Json.JSON.readTree(r.out());
        assertEquals(2, n.get("rise").get("x").get(0).size());
        assertEquals(n.get("layers").asInt(), n.get("rise").get("y").size());
        CliRun bad = CliRun.laem("analyze");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--contribution RECIPE"), bad.err());
    }
}
