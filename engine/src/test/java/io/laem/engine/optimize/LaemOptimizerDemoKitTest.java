package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On the shipped demo kit (found from any working folder; missing, the test fails), a short CMA-ES run
 * on the live bank, warm-started at task arithmetic (weight 1 each: the strongest simple baseline, 0.08
 * validation NLL against uniform's 2.7), finds weights better than task arithmetic on the validation
 * data it searched. On the held-out test split it must stay far ahead of uniform and within 10% of task
 * arithmetic: 16 evaluations on 16 examples per task do not carry their small validation gain over to
 * the test split (measured: 0.0937 against 0.0908). That LAEM beats task arithmetic on held-out data
 * at the default budget is docs/optimizer.md's measurement (88.9% against 81.8% exact match), too slow for CI.
 */
class LaemOptimizerDemoKitTest {
    static final Path KIT = DemoKit.dir();

    @Test
    void shortRunBeatsTaskArithmeticOnValidationAndHoldsOnTest() {
        Recipe uniform = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        Recipe recipe = uniform;
        for (Recipe.AdapterRef a : uniform.adapters()) {
            recipe = recipe.withWeight(a.name(), Schedule.constant(1.0));
        }
        OptimizeSettings s = new OptimizeSettings().plans("recipe").param("curve:2").budget(16).seed(1).maxExamples(16)
                .testExamples(16).tiesDensities(List.of(0.5)).taskArithmeticScales(List.of(1.0));
        List<CandidateEvent> events = new ArrayList<>();
        try (LaemOptimizer o = LaemOptimizer.open(recipe, TaskSuite.read(KIT.resolve("tasks.yaml")), s,
                ProgressListener.NONE, new CancellationToken())) {
            LaemOptimizer.Search search = o.search(new RunListener() {
                @Override
                public void candidate(CandidateEvent e) {
                    events.add(e);
                }
            });
            assertEquals(16, events.size());
            double arithmetic = search.validationBaselines().get("task_arithmetic").value();
            double laem = search.best().best().value();
            // the warm start is task arithmetic itself: the run's first candidate scores it on the same objective
            assertEquals(arithmetic, events.getFirst().evaluation().value(), 1e-5);
            assertTrue(laem < arithmetic - 1e-4, "validation: LAEM " + laem + " vs task arithmetic " + arithmetic);

            Map<String, EvalReport> test = o.compare(search);
            double laemTest = test.get("laem").meanNll();
            double arithmeticTest = test.get("task_arithmetic").meanNll();
            double uniformTest = test.get("uniform").meanNll();
            System.out.printf("test mean NLL: laem %.4f, task arithmetic %.4f, uniform %.4f%n", laemTest, arithmeticTest, uniformTest);
            assertTrue(laemTest < 1.1 * arithmeticTest, "test: LAEM " + laemTest + " vs task arithmetic " + arithmeticTest);
            assertTrue(laemTest < 0.1 * uniformTest, "test: LAEM " + laemTest + " vs uniform " + uniformTest);
        }
    }
}
