package io.laem.engine.merge;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The result of a merge: one module per targeted module (scale 1: every weight and scale is baked
 * into B) and, per module, the report (terms, rank, retained energy).
 */
public record MergedAdapter(SortedMap<ModuleKey, LoraModule> modules, SortedMap<ModuleKey, ModuleReport> report) {
    public MergedAdapter {
        modules = Collections.unmodifiableSortedMap(new TreeMap<>(modules));
        report = Collections.unmodifiableSortedMap(new TreeMap<>(report));
    }

    /**
     * One module of the merge report: the rank written; the share of the recipe's formula (the weighted
     * sum of the exact de-redundant deltas) that the written delta keeps through the whole pipeline;
     * the share of the plan's weighted sum kept by the output rank alone (1 on the exact path); the
     * weights; and per task the share of its de-redundant delta its plan factors keep.
     */
    public record ModuleReport(int rank, int termsRank, double retainedEnergy, double outputEnergy,
                               java.util.Map<String, Double> weights, java.util.Map<String, Double> planEnergy) {}

    /** The report without the factors. */
    public MergeSummary summary() {
        return new MergeSummary(report);
    }

    /** Lowest retained energy over modules. */
    public double minRetainedEnergy() {
        return summary().minRetainedEnergy();
    }
}
