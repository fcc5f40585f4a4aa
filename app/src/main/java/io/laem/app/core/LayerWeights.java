package io.laem.app.core;

import io.laem.engine.model.ModuleKind;
import java.util.List;

/**
 * Per-layer merge weights as the engine takes them: for attention and MLP modules, one value per
 * series (each adapter, then the shared module) and layer. Immutable once made.
 */
public record LayerWeights(List<String> series, double[][][] values) {
    /** The weight of series {@code s} for a module of {@code kind} in {@code layer}. */
    public double at(int s, int layer, ModuleKind kind) {
        return values[kind.group().ordinal()][s][layer];
    }

    /** The weight of the named series, or 0 when it is not part of these weights. */
    public double at(String name, int layer, ModuleKind kind) {
        int s = series.indexOf(name);
        return s < 0 ? 0 : at(s, layer, kind);
    }

    public int numLayers() {
        return values[0].length == 0 ? 0 : values[0][0].length;
    }
}
