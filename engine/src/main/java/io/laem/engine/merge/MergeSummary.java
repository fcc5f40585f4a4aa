package io.laem.engine.merge;

import io.laem.engine.lora.LoraConfig;
import io.laem.engine.model.ModuleKey;
import java.util.Collections;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a written merge reports, per module: the rank written, the rank of the terms, the retained
 * energy (whole pipeline, output step, plan per task), the weights used. All that is left of a merge
 * that was streamed to its file (no factors).
 */
public record MergeSummary(SortedMap<ModuleKey, MergedAdapter.ModuleReport> report) {
    /** A merge that loses more than this share of the recipe's formula energy in some module gets a warning. */
    public static final double LOSS_WARNING = 0.01;

    public MergeSummary {
        report = Collections.unmodifiableSortedMap(new TreeMap<>(report));
    }

    /**
     * Lowest share of the recipe's formula energy any module keeps through the whole pipeline, plan
     * and output (1 when there are no modules).
     */
    public double minRetainedEnergy() {
        return report.values().stream().mapToDouble(MergedAdapter.ModuleReport::retainedEnergy).min().orElse(1.0);
    }

    /** Lowest share kept by the output rank alone (1 when exact). */
    public double minOutputEnergy() {
        return report.values().stream().mapToDouble(MergedAdapter.ModuleReport::outputEnergy).min().orElse(1.0);
    }

    /** Lowest share any task's plan factors keep of its de-redundant delta (1 when the plan is exact). */
    public double minPlanEnergy() {
        return report.values().stream().mapToDouble(r -> PipelineEnergy.planMin(r.planEnergy())).min().orElse(1.0);
    }

    /** The module that keeps the least (empty when there are none). */
    public Optional<ModuleKey> worstModule() {
        return report.entrySet().stream().min(Comparator.comparingDouble((Map.Entry<ModuleKey, MergedAdapter.ModuleReport> e) ->
                e.getValue().retainedEnergy())).map(Map.Entry::getKey);
    }

    /**
     * One line when some module loses more than {@link #LOSS_WARNING} of the recipe's formula energy
     * (empty otherwise): how much, where, which step, and what to change.
     */
    public Optional<String> warning() {
        double min = minRetainedEnergy();
        if (1 - min <= LOSS_WARNING) {
            return Optional.empty();
        }
        String where = worstModule().map(LoraConfig::moduleName).orElse("?");
        return Optional.of(String.format(Locale.ROOT,
                "warning: the merge keeps only %.1f%% of the recipe's delta energy in %s (more than %.0f%% lost; "
                        + "lowest kept: plan %.4f, output rank %.4f); use output rank exact or a higher rank",
                100 * min, where, 100 * LOSS_WARNING, minPlanEnergy(), minOutputEnergy()));
    }

    /** Lowest and highest rank written (0 and 0 when there are no modules). */
    public int minRank() {
        return report.values().stream().mapToInt(MergedAdapter.ModuleReport::rank).min().orElse(0);
    }

    public int maxRank() {
        return report.values().stream().mapToInt(MergedAdapter.ModuleReport::rank).max().orElse(0);
    }
}
