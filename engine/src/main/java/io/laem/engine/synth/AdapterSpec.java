package io.laem.engine.synth;

import io.laem.engine.model.ModuleKind;
import java.util.List;
import java.util.Map;

/**
 * A synthetic PEFT adapter: rank, alpha, which module kinds, rsLoRA, per-module overrides (PEFT
 * pattern keys), and the layers it covers (null: all).
 */
public record AdapterSpec(int r, double alpha, List<ModuleKind> targets, boolean useRslora,
                          Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, List<Integer> layers,
                          double bScale) {
    public static AdapterSpec of(int r, double alpha, List<ModuleKind> targets) {
        return new AdapterSpec(r, alpha, targets, false, Map.of(), Map.of(), null, 1.0);
    }

    /** Every linear module of the base (each family's own: fused ones for Phi-3). */
    public static AdapterSpec allLinear(int r, double alpha) {
        return of(r, alpha, List.of(ModuleKind.values()));
    }

    public AdapterSpec withRslora(boolean on) {
        return new AdapterSpec(r, alpha, targets, on, rankPattern, alphaPattern, layers, bScale);
    }

    public AdapterSpec withPatterns(Map<String, Integer> ranks, Map<String, Double> alphas) {
        return new AdapterSpec(r, alpha, targets, useRslora, ranks, alphas, layers, bScale);
    }

    public AdapterSpec withLayers(List<Integer> ls) {
        return new AdapterSpec(r, alpha, targets, useRslora, rankPattern, alphaPattern, ls, bScale);
    }

    public AdapterSpec withBScale(double s) {
        return new AdapterSpec(r, alpha, targets, useRslora, rankPattern, alphaPattern, layers, s);
    }
}
