package io.laem.engine.merge;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Applies a recipe's layer weights to a {@link MergePlan}: per module,
 * {@code D = w_shared S + sum_t w_t R_t}. With output rank exact the factors are concatenated
 * ({@code B' = [w_1 s_1 B_1 ...]}, {@code A' = [A_1; ...]}), so the delta is the weighted sum to
 * float32 precision (terms that are full-rank trimmed deltas are summed into one dense factor of
 * rank min(out, in) instead); with rank N it is the best rank-N approximation, computed in rank space.
 * The report gives both the output step's retained energy and the whole pipeline's ({@link PipelineEnergy}).
 */
public final class PlanMerger {
    private PlanMerger() {}

    public static MergedAdapter merge(MergePlan plan, Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        SortedMap<ModuleKey, LoraModule> out = new TreeMap<>();
        SortedMap<ModuleKey, MergedAdapter.ModuleReport> report = new TreeMap<>();
        var keys = plan.modules();
        long done = 0;
        for (ModuleKey k : keys) {
            cancel.check();
            progress.progress(done++, keys.size(), "merging " + k);
            List<LoraModule> terms = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            Map<String, Double> named = new LinkedHashMap<>();
            LoraModule s = plan.shared().get(k);
            if (s != null) {
                double w = recipe.weight(Recipe.SHARED, k.layer(), plan.numLayers(), k.kind());
                terms.add(s);
                weights.add(w);
                named.put(Recipe.SHARED, w);
            }
            for (String t : plan.taskNames()) {
                LoraModule m = plan.task(t).get(k);
                if (m != null) {
                    double w = recipe.weight(t, k.layer(), plan.numLayers(), k.kind());
                    terms.add(m);
                    weights.add(w);
                    named.put(t, w);
                }
            }
            if (terms.isEmpty()) {
                continue;
            }
            LoraModule cat = LowRank.concatenate(k, terms, weights);
            LoraModule result = cat;
            double retained = 1.0;
            if (!recipe.output().exact() && cat.rank() > recipe.output().rank()) {
                Factors f = LowRank.truncate(LowRank.matrix(cat.b(), cat.out(), cat.rank()),
                        LowRank.matrix(cat.a(), cat.rank(), cat.in()), recipe.output().rank());
                result = new LoraModule(k, f.rank(), cat.in(), cat.out(), f.a(), f.b(), 1.0);
                retained = f.retainedEnergy();
            } else if (recipe.output().exact() && plan.key().redundancy().strategy().elementWise()
                    && cat.rank() > Math.min(cat.out(), cat.in())) {
                // the terms are full-rank trimmed deltas: their exact sum needs no more than min(out, in)
                Factors f = LowRank.exact(LowRank.denseDelta(cat), cat.out(), cat.in());
                result = new LoraModule(k, f.rank(), cat.in(), cat.out(), f.a(), f.b(), 1.0);
            }
            out.put(k, result);
            Map<String, Double> planEnergy = plan.retainedEnergy().getOrDefault(k, Map.of());
            report.put(k, new MergedAdapter.ModuleReport(result.rank(), cat.rank(),
                    PipelineEnergy.of(plan, recipe, k, result, retained), retained, named, planEnergy));
        }
        progress.progress(keys.size(), keys.size(), "merged");
        return new MergedAdapter(out, report);
    }
}
