package io.laem.app.core;

import java.util.List;
import java.util.Map;

/**
 * Results of the analysis for the heatmaps: per metric and module filter, a grid of layers x
 * columns (adapters, or adapter pairs for the pair metrics).
 *
 * @param maps keyed by {@link #key(String, String)}
 */
public record AnalysisData(int numLayers, List<String> metrics, List<String> moduleFilters, Map<String, Heatmap> maps) {
    public static final String ALL_MODULES = "all modules";
    /** Metric label prefix of the contribution maps (one per task: "contribution to TASK"). */
    public static final String CONTRIBUTION = "contribution to ";

    /**
     * One heatmap: {@code values[layer][column]}, NaN where there is no module; columns are
     * adapters, or adapter pairs when {@code pairs}.
     */
    public record Heatmap(String metric, String moduleFilter, List<String> columns, double[][] values, String unit, boolean pairs) {}

    public static String key(String metric, String moduleFilter) {
        return metric + "|" + moduleFilter;
    }

    public Heatmap map(String metric, String moduleFilter) {
        Heatmap h = maps.get(key(metric, moduleFilter));
        return h != null ? h : maps.get(key(metric, ALL_MODULES));
    }
}
