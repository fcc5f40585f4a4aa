package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.infer.Scorer;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.model.ModuleKind.Group;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code --method gradient} on the shipped demo kit: the gradient backpropagated through the LoRA
 * bank is the objective's (central differences on the real model, for every objective), and a short
 * Adam run from the recipe's uniform weights beats them on the held-out test split.
 */
class GradientMethodDemoKitTest {
    static final Path KIT = DemoKit.dir();

    private static LaemOptimizer open(OptimizeSettings s) {
        return LaemOptimizer.open(RecipeYaml.read(KIT.resolve("recipe.yaml")), TaskSuite.read(KIT.resolve("tasks.yaml")), s,
                ProgressListener.NONE, new CancellationToken());
    }

    @Test
    void bankGradientMatchesCentralDifferences() {
        for (Scorer.Term term : Scorer.Term.values()) {
            OptimizeSettings s = new OptimizeSettings().method(SearchMethod.GRADIENT).objective(term).maxExamples(4).l1(0.01)
                    .warmStart(OptimizeSettings.WarmStart.RECIPE);
            try (LaemOptimizer o = open(s)) {
                PlanOption plan = LaemOptimizer.RAW;
                DifferentiableObjective f = (DifferentiableObjective) o.objective(plan);
                List<String> entries = LaemOptimizer.entries(o.plan(plan));
                // a point away from the L1 term's kink (the prior is the recipe's 0.25 everywhere)
                MergeWeights w = MergeWeights.of(entries, o.numLayers(), (e, l, g) -> 0.6 + 0.1 * e - 0.05 * l + (g == Group.MLP ? 0.1 : 0));
                DifferentiableObjective.ValueAndGradient vg = f.valueAndGradient(w, CancellationToken.NONE);
                assertEquals(f.evaluate(w, CancellationToken.NONE).value(), vg.evaluation().value(), 1e-4, term + ": value");
                double h = 1e-2;
                for (int[] c : List.of(new int[] {0, 0, 0}, new int[] {1, 1, 1}, new int[] {3, o.numLayers() - 1, 0})) {
                    Group g = Group.values()[c[2]];
                    MergeWeights hi = shifted(w, c, g, h);
                    MergeWeights lo = shifted(w, c, g, -h);
                    double fd = (f.evaluate(hi, CancellationToken.NONE).value() - f.evaluate(lo, CancellationToken.NONE).value()) / (2 * h);
                    double an = vg.gradient().get(c[0], c[1], g);
                    assertEquals(fd, an, 0.02 * Math.abs(fd) + 1e-3, term + " d/dw " + java.util.Arrays.toString(c));
                }
            }
        }
    }

    private static MergeWeights shifted(MergeWeights w, int[] c, Group group, double h) {
        return MergeWeights.of(w.entries(), w.numLayers(), (e, l, g) -> w.get(e, l, g) + (e == c[0] && l == c[1] && g == group ? h : 0));
    }

    @Test
    void shortAdamRunFromUniformBeatsUniformOnTheTestSplit() {
        OptimizeSettings s = new OptimizeSettings().method(SearchMethod.GRADIENT).plans("recipe").param("per-layer").budget(60)
                .warmStart(OptimizeSettings.WarmStart.RECIPE).objective(Scorer.Term.NLL)
                .learningRate(0.1).maxExamples(16).testExamples(16).tiesDensities(List.of(0.5)).taskArithmeticScales(List.of(1.0));
        try (LaemOptimizer o = open(s)) {
            LaemOptimizer.Search search = o.search(null);
            assertEquals(20, search.best().evaluations(), "20 steps of three evaluations' worth");
            double uniform = search.validationBaselines().get("uniform").value();
            assertTrue(search.best().best().value() < 0.5 * uniform, "validation: " + search.best().best().value() + " vs uniform " + uniform);
            Map<String, EvalReport> test = o.compare(search);
            double laem = test.get("laem").meanNll();
            double uni = test.get("uniform").meanNll();
            System.out.printf("gradient, 20 steps: test mean NLL %.4f, uniform %.4f, task arithmetic %.4f%n", laem, uni,
                    test.get("task_arithmetic").meanNll());
            assertTrue(laem < 0.5 * uni, "test: gradient " + laem + " vs uniform " + uni);
        }
    }
}
