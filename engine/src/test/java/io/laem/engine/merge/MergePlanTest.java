package io.laem.engine.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergePlanTest {
    @TempDir
    Path tmp;

    Recipe tasks(Path base, int n) {
        List<Path> ps = Fixtures.taskAdapters(tmp.resolve("a"), base, n);
        List<AdapterRef> refs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            refs.add(new AdapterRef("t" + i, ps.get(i)));
        }
        return Recipe.of(base, refs);
    }

    @Test
    void consensusWithUnitWeightsIsTaskArithmetic() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe plain = tasks(base, 3);
        Recipe shared = plain.withShared(new Shared(Shared.Mode.CONSENSUS, 3, null));
        MergePlan plan = MergePlanner.plan(shared, ProgressListener.NONE, CancellationToken.NONE);
        assertEquals(14, plan.shared().size());
        MergedAdapter a = RecipeMerge.merge(plain, ProgressListener.NONE, CancellationToken.NONE);
        MergedAdapter b = PlanMerger.merge(plan, shared, ProgressListener.NONE, CancellationToken.NONE);
        for (ModuleKey k : a.modules().keySet()) {
            MergeContractTest.assertDeltaEquals(toDouble(a.modules().get(k).denseDelta()), b.modules().get(k).denseDelta(), 1e-5, k.toString());
            assertEquals(3 + 12, b.modules().get(k).rank());
        }
        // weight 0 on the shared module removes exactly the consensus part
        MergedAdapter c = PlanMerger.merge(plan, shared.withWeight(Recipe.SHARED, Schedule.constant(0)), ProgressListener.NONE,
                CancellationToken.NONE);
        ModuleKey k = a.modules().firstKey();
        float[] full = a.modules().get(k).denseDelta();
        float[] noShared = c.modules().get(k).denseDelta();
        float[] s = plan.shared().get(k).denseDelta();
        for (int i = 0; i < full.length; i++) {
            assertEquals(full[i] - s[i], noShared[i], 1e-5);
        }
    }

    @Test
    void sharedAdapterIsAddedWithItsWeight() {
        Path base = Fixtures.tinyLlama(tmp);
        Path sharedDir = Fixtures.adapter(tmp.resolve("mixed"), base, Fixtures.attentionQv(), 5);
        Recipe r = tasks(base, 2).withShared(new Shared(Shared.Mode.ADAPTER, 8, sharedDir))
                .withWeight(Recipe.SHARED, Schedule.constant(-0.5));
        MergedAdapter m = RecipeMerge.merge(r, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> expected = MergeContractTest.handSum(r, 2);
        for (LoraModule s : LoraAdapter.load(sharedDir).modules().values()) {
            float[] d = s.denseDelta();
            double[] e = expected.get(s.key());
            for (int i = 0; i < d.length; i++) {
                e[i] += -0.5 * d[i];
            }
        }
        expected.forEach((k, e) -> MergeContractTest.assertDeltaEquals(e, m.modules().get(k).denseDelta(), 2e-6, k.toString()));
    }

    @Test
    void elementWisePlansAreRefactorizedAndCached() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = tasks(base, 3).withRedundancy(new Redundancy(Redundancy.Strategy.TIES, 0.3, 1, Redundancy.Sign.TOTAL, 0))
                .withOutput(new Recipe.Output(4, io.laem.engine.io.DType.F32));
        MergePlan plan = MergePlanner.plan(r, ProgressListener.NONE, CancellationToken.NONE);
        for (String t : plan.taskNames()) {
            plan.task(t).values().forEach(m -> assertTrue(m.rank() <= 4));
        }
        double e = plan.retainedEnergy().values().iterator().next().get("t0");
        assertTrue(e > 0 && e < 1, "a sparsified delta is not rank 4: " + e);
        MergePlanCache cache = new MergePlanCache(2);
        cache.put(plan);
        assertSame(plan, cache.get(MergePlan.Key.of(r.withWeight("t0", Schedule.constant(3)))), "weights are not part of the key");
        assertFalse(cache.get(MergePlan.Key.of(r)) == null);
        assertEquals(null, cache.get(MergePlan.Key.of(r.withRedundancy(Redundancy.NONE))));
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
