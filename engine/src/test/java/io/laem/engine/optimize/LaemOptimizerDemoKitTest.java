package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.laem.engine.eval.TaskSuite;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On the shipped demo kit, a short CMA-ES run on the live bank improves on the uniform average. */
class LaemOptimizerDemoKitTest {
    static final Path KIT = Path.of("../resources/demo");

    @Test
    void shortRunImprovesOnUniform() {
        assumeTrue(Files.exists(KIT.resolve("recipe.yaml")), "demo kit not built");
        Recipe recipe = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        OptimizeSettings s = new OptimizeSettings().plans("recipe").param("per-task").budget(12).seed(1).maxExamples(16)
                .tiesDensities(List.of(0.5)).taskArithmeticScales(List.of(1.0));
        List<CandidateEvent> events = new ArrayList<>();
        try (LaemOptimizer o = LaemOptimizer.open(recipe, TaskSuite.read(KIT.resolve("tasks.yaml")), s,
                ProgressListener.NONE, new CancellationToken())) {
            LaemOptimizer.Search search = o.search(new RunListener() {
                @Override
                public void candidate(CandidateEvent e) {
                    events.add(e);
                }
            });
            assertEquals(12, events.size());
            double uniform = search.validationBaselines().get("uniform").value();
            double laem = search.best().best().value();
            assertTrue(laem < uniform - 1e-3, "LAEM " + laem + " vs uniform " + uniform);
            // the demo recipe is the uniform average: the run's first candidate is it, on the same objective
            assertEquals(uniform, events.getFirst().evaluation().value(), 1e-5);
        }
    }
}
