package io.laem.engine.merge;

import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.merge.redundancy.RedundancyStrategies;
import io.laem.engine.merge.redundancy.RedundancyStrategy;
import io.laem.engine.merge.shared.Consensus;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds a {@link MergePlan}: module by module (so element-wise strategies hold one module's full
 * deltas at a time), redundancy removal for the tasks targeting the module, then the shared module.
 */
public final class MergePlanner {
    private MergePlanner() {}

    /** Loads the recipe's inputs and plans; see {@link #plan(MergePlan.Key, MergeInputs, ProgressListener, CancellationToken)}. */
    public static MergePlan plan(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        return plan(MergePlan.Key.of(recipe), MergeInputs.load(recipe), progress, cancel);
    }

    public static MergePlan plan(MergePlan.Key key, MergeInputs in, ProgressListener progress, CancellationToken cancel) {
        RedundancyStrategy strategy = RedundancyStrategies.of(key.redundancy().strategy());
        List<String> names = in.adapters().stream().map(LoraAdapter::name).toList();
        Map<String, SortedMap<ModuleKey, LoraModule>> tasks = new LinkedHashMap<>();
        names.forEach(n -> tasks.put(n, new TreeMap<>()));
        SortedMap<ModuleKey, LoraModule> shared = new TreeMap<>();
        SortedMap<ModuleKey, Map<String, Double>> energy = new TreeMap<>();
        TreeSet<ModuleKey> keys = new TreeSet<>();
        in.adapters().forEach(a -> keys.addAll(a.modules().keySet()));
        if (in.sharedAdapter() != null) {
            keys.addAll(in.sharedAdapter().modules().keySet());
        }
        long done = 0;
        for (ModuleKey k : keys) {
            cancel.check();
            progress.progress(done++, keys.size(), "planning " + k);
            List<String> present = new ArrayList<>();
            List<LoraModule> mods = new ArrayList<>();
            for (LoraAdapter a : in.adapters()) {
                a.module(k).ifPresent(m -> {
                    present.add(a.name());
                    mods.add(m);
                });
            }
            Map<String, Double> e = new LinkedHashMap<>();
            if (!mods.isEmpty()) {
                List<RedundancyStrategy.Result> rs = strategy.apply(k, mods, key.redundancy(), key.rank());
                List<LoraModule> rt = new ArrayList<>(rs.stream().map(RedundancyStrategy.Result::module).toList());
                for (int i = 0; i < rs.size(); i++) {
                    e.put(present.get(i), rs.get(i).retainedEnergy());
                }
                if (key.shared().mode() == Shared.Mode.CONSENSUS) {
                    List<LoraModule> nonEmpty = rt.stream().filter(m -> m.rank() > 0).toList();
                    if (!nonEmpty.isEmpty()) {
                        Consensus.Result c = Consensus.of(k, nonEmpty, key.shared().rank());
                        if (c.shared() != null) {
                            shared.put(k, c.shared());
                            e.put(Recipe.SHARED, c.sharedEnergy());
                            int j = 0;
                            for (int i = 0; i < rt.size(); i++) {
                                if (rt.get(i).rank() > 0) {
                                    rt.set(i, c.tasks().get(j++));
                                }
                            }
                        }
                    }
                }
                for (int i = 0; i < rt.size(); i++) {
                    if (rt.get(i).rank() > 0) {
                        tasks.get(present.get(i)).put(k, rt.get(i));
                    }
                }
            }
            if (in.sharedAdapter() != null) {
                in.sharedAdapter().module(k).ifPresent(m -> shared.put(k, m));
            }
            energy.put(k, e);
        }
        progress.progress(keys.size(), keys.size(), "planned");
        return new MergePlan(key, in.base().numLayers(), names, tasks, shared, energy, in);
    }
}
