package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.infer.Scorer;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The first-order contribution map (one backward pass per task) against exact ablation on the demo
 * kit's (layer, adapter) cells, on task arithmetic's merge (weight 1 each): the same reference loss,
 * and cells ranked in the same direction (Spearman over each task's 16 cells; the printed
 * correlations are the figures of docs/optimizer.md).
 */
class FirstOrderContributionDemoKitTest {
    @Test
    void firstOrderRanksCellsLikeExactAblation() {
        Path kit = DemoKit.dir();
        Recipe recipe = RecipeYaml.read(kit.resolve("recipe.yaml"));
        for (Recipe.AdapterRef a : recipe.adapters()) {
            recipe = recipe.withWeight(a.name(), Schedule.constant(1.0));
        }
        Map<String, List<Scorer.Example>> data = new LinkedHashMap<>();
        TaskSuite.read(kit.resolve("tasks.yaml")).split("validation").forEach((t, ex) -> data.put(t, ex.subList(0, 24)));
        try (LiveMerge live = LiveMerge.open(recipe.baseModel(), Device.cpu(), 1, LiveMerge.DEFAULT_PLANS); LiveMerge.Use u = live.use("test")) {
            Scorer scorer = new Scorer(u.decoder(), u.tokenizer());
            ContributionMap exact = ContributionMap.exact(live, recipe, data, scorer, ProgressListener.NONE, CancellationToken.NONE);
            ContributionMap first = ContributionMap.firstOrder(live, recipe, data, scorer, ProgressListener.NONE, CancellationToken.NONE);
            double sum = 0;
            for (String t : data.keySet()) {
                assertEquals(exact.reference().get(t), first.reference().get(t), 1e-4, t + ": the same loss at the recipe's weights");
                double rho = first.rankCorrelation(exact, t);
                System.out.printf("first-order vs exact contribution, task %s: Spearman %.3f%n", t, rho);
                sum += rho;
            }
            double mean = sum / data.size();
            System.out.printf("first-order vs exact contribution: mean Spearman %.3f%n", mean);
            // measured 2026-12-02: 0.32 / 0.97 / 1.00 / 0.64 (shift / mirror / nines / spell), mean 0.73; removing a whole adapter from a layer is a large step, where
            // the linear estimate is rough: it must still rank the cells in the same direction as ablation
            assertTrue(mean > 0.5, "mean rank correlation " + mean);
        }
    }
}
