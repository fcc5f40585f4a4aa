package io.laem.engine.merge.methods;

import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.MergeInputs;
import io.laem.engine.merge.MergedAdapter;
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
import java.util.TreeSet;

/**
 * Runs a baseline method over a recipe's adapters, module by module: weights from the recipe's
 * schedules (so methods get per-layer weights too), density/sign/seed from its redundancy settings,
 * rank from its output. Shared modules and redundancy strategies are LAEM's and not applied here.
 */
public final class MethodMerge {
    private MethodMerge() {}

    public static MergedAdapter run(MergeMethod method, Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        MergeInputs in = MergeInputs.load(recipe);
        MethodOptions o = MethodOptions.of(recipe);
        TreeSet<ModuleKey> keys = new TreeSet<>();
        in.adapters().forEach(a -> keys.addAll(a.modules().keySet()));
        SortedMap<ModuleKey, LoraModule> out = new TreeMap<>();
        SortedMap<ModuleKey, MergedAdapter.ModuleReport> report = new TreeMap<>();
        int numLayers = in.base().numLayers();
        long done = 0;
        for (ModuleKey k : keys) {
            cancel.check();
            progress.progress(done++, keys.size(), method.name() + " " + k);
            List<LoraModule> mods = new ArrayList<>();
            List<Double> ws = new ArrayList<>();
            Map<String, Double> named = new LinkedHashMap<>();
            for (LoraAdapter a : in.adapters()) {
                a.module(k).ifPresent(m -> {
                    double w = recipe.weight(a.name(), k.layer(), numLayers, k.kind());
                    mods.add(m);
                    ws.add(w);
                    named.put(a.name(), w);
                });
            }
            MergeMethod.Result res = method.merge(k, mods, ws.stream().mapToDouble(Double::doubleValue).toArray(), o);
            LoraModule m = res.module();
            if (m.rank() > 0) {
                out.put(k, m);
                report.put(k, new MergedAdapter.ModuleReport(m.rank(), mods.stream().mapToInt(LoraModule::rank).sum(), res.retainedEnergy(),
                        res.retainedEnergy(), named, Map.of()));
            }
        }
        progress.progress(keys.size(), keys.size(), method.name() + " done");
        return new MergedAdapter(out, report);
    }
}
