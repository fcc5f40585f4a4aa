package io.laem.engine.demo;

import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.live.LiveMerge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.Scorer.Example;
import ai.djl.Device;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.merge.recipe.RecipeYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The committed kit in resources/demo loads through the ordinary code paths and its adapters do their job. */
class DemoKitShippedTest {
    static final Path KIT = io.laem.engine.fixtures.DemoKit.dir();

    @Test
    void eachAdapterBeatsTheBaseOnItsOwnTask() {
        assertTrue(Files.isDirectory(KIT), KIT + " is missing");
        TaskSuite suite = TaskSuite.read(KIT.resolve("tasks.yaml"));
        assertEquals(List.of("shift", "mirror", "nines", "spell"), suite.names());
        try (LiveMerge live = LiveMerge.open(KIT.resolve("base"), Device.cpu()); LiveMerge.Use m = live.use("test")) {
            Recipe adapters = Recipe.of(KIT.resolve("base"), suite.names().stream()
                    .map(t -> new Recipe.AdapterRef(t, KIT.resolve("adapters").resolve(t))).toList());
            Evaluator ev = new Evaluator(m.decoder(), m.tokenizer());
            for (String t : List.of("shift", "nines")) {
                List<Example> few = suite.examples(t, "test").subList(0, 8);
                live.showBase();
                TaskScore base = ev.score(few);
                live.show(adapters, io.laem.engine.merge.MergeWeights.of(suite.names(), live.numLayers(),
                        (e, l, g) -> suite.names().get(e).equals(t) ? 1.0 : 0.0));
                TaskScore own = ev.score(few);
                assertTrue(own.exactMatch() >= 0.75 && base.exactMatch() <= 0.25, t + ": adapter " + own + " base " + base);
                assertTrue(own.meanNll() < base.meanNll(), t);
            }
        }
        // the recipe reads with the merge package's reader, paths relative to the kit
        var r = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        assertEquals(KIT.resolve("base"), r.baseModel());
        assertEquals(4, r.adapters().size());
    }
}
