package io.laem.engine.merge;

import io.laem.engine.model.ModuleKey;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a written merge reports, per module: the rank written, the rank of the terms, the retained
 * energy, the weights used. All that is left of a merge that was streamed to its file (no factors).
 */
public record MergeSummary(SortedMap<ModuleKey, MergedAdapter.ModuleReport> report) {
    public MergeSummary {
        report = Collections.unmodifiableSortedMap(new TreeMap<>(report));
    }

    /** Lowest retained energy over modules (1 when there are none). */
    public double minRetainedEnergy() {
        return report.values().stream().mapToDouble(MergedAdapter.ModuleReport::retainedEnergy).min().orElse(1.0);
    }

    /** Lowest and highest rank written (0 and 0 when there are no modules). */
    public int minRank() {
        return report.values().stream().mapToInt(MergedAdapter.ModuleReport::rank).min().orElse(0);
    }

    public int maxRank() {
        return report.values().stream().mapToInt(MergedAdapter.ModuleReport::rank).max().orElse(0);
    }
}
