package io.laem.engine.merge.recipe;

import io.laem.engine.model.ModuleKind;
import java.util.Arrays;

/**
 * A layer-weight schedule: one number; a list of control points interpolated across layers with
 * mergekit's "gradient" semantics (layer l of L sits at t = l/(L-1); with n points, position
 * t(n-1) is interpolated linearly between its neighbours, so a list of L points is one value per
 * layer); one schedule for attention and one for MLP modules; or one schedule per module.
 */
public sealed interface Schedule {
    /** The weight at layer {@code layer} of {@code numLayers} for a module of the given kind. */
    double at(int layer, int numLayers, ModuleKind kind);

    static Schedule constant(double value) {
        return new Constant(value);
    }

    /** Control points interpolated across layers (a list of numLayers values is per layer). */
    static Schedule gradient(double... points) {
        return new Gradient(points);
    }

    /** One weight per layer. */
    static Schedule perLayer(double[] values) {
        return new Gradient(values);
    }

    static Schedule perGroup(Schedule attn, Schedule mlp) {
        return new PerGroup(attn, mlp);
    }

    /** One schedule per module: every unfused module named (see {@link PerModule}). */
    static Schedule perModule(java.util.Map<ModuleKind, Schedule> modules) {
        return new PerModule(modules);
    }

    /** One weight per layer and unfused module, {@code weight.at(layer, module)}. */
    static Schedule perModule(int numLayers, LayerModuleWeight weight) {
        java.util.Map<ModuleKind, Schedule> modules = new java.util.EnumMap<>(ModuleKind.class);
        for (ModuleKind k : ModuleKind.unfused()) {
            double[] v = new double[numLayers];
            for (int l = 0; l < numLayers; l++) {
                v[l] = weight.at(l, k);
            }
            modules.put(k, perLayer(v));
        }
        return new PerModule(modules);
    }

    /** A weight by (layer, module). */
    @FunctionalInterface
    interface LayerModuleWeight {
        double at(int layer, ModuleKind kind);
    }

    /** A single number. */
    record Constant(double value) implements Schedule {
        @Override
        public double at(int layer, int numLayers, ModuleKind kind) {
            return value;
        }
    }

    /** Control points; see the interface comment for the interpolation. */
    record Gradient(double[] points) implements Schedule {
        public Gradient {
            if (points.length == 0) {
                throw new IllegalArgumentException("a schedule list needs at least one value");
            }
            points = points.clone();
        }

        @Override
        public double at(int layer, int numLayers, ModuleKind kind) {
            int n = points.length;
            if (n == 1 || numLayers <= 1) {
                return points[0];
            }
            // position layer*(n-1)/(numLayers-1), split exactly into integer part and fraction so that
            // a list of numLayers values returns each value unchanged
            long num = (long) layer * (n - 1);
            int den = numLayers - 1;
            int i0 = (int) (num / den);
            if (i0 >= n - 1) {
                return points[n - 1];
            }
            return lerp(i0, (double) (num % den) / den);
        }

        /**
         * The value at fraction {@code t} of the depth (0: first layer, 1: last), between layers too:
         * where an editor puts a control point, and how it resamples a curve to another number of points.
         */
        public double atDepth(double t) {
            int n = points.length;
            if (n == 1) {
                return points[0];
            }
            double pos = Math.clamp(t, 0.0, 1.0) * (n - 1);
            int i0 = (int) Math.floor(pos);
            return i0 >= n - 1 ? points[n - 1] : lerp(i0, pos - i0);
        }

        private double lerp(int i0, double frac) {
            return frac == 0 ? points[i0] : (1 - frac) * points[i0] + frac * points[i0 + 1];
        }

        @Override
        public double[] points() {
            return points.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Gradient g && Arrays.equals(points, g.points);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(points);
        }

        @Override
        public String toString() {
            return Arrays.toString(points);
        }
    }

    /** Separate schedules for attention (q/k/v/o) and MLP (gate/up/down) modules. */
    record PerGroup(Schedule attn, Schedule mlp) implements Schedule {
        public PerGroup {
            if (attn instanceof PerGroup || mlp instanceof PerGroup || attn instanceof PerModule || mlp instanceof PerModule) {
                throw new IllegalArgumentException("attn/mlp schedules cannot be nested");
            }
        }

        @Override
        public double at(int layer, int numLayers, ModuleKind kind) {
            return (kind.group() == ModuleKind.Group.ATTN ? attn : mlp).at(layer, numLayers, kind);
        }
    }

    /**
     * A schedule per module: every one of the seven unfused modules (q/k/v/o/gate/up/down_proj) has
     * its own; a fused module takes its own when given, else its leading module's (qkv_proj: q_proj's,
     * gate_up_proj: gate_proj's).
     */
    record PerModule(java.util.Map<ModuleKind, Schedule> modules) implements Schedule {
        public PerModule {
            java.util.EnumMap<ModuleKind, Schedule> m = new java.util.EnumMap<>(ModuleKind.class);
            m.putAll(modules);
            for (ModuleKind k : ModuleKind.unfused()) {
                if (!m.containsKey(k)) {
                    throw new IllegalArgumentException("a per-module schedule needs every module; " + k.peftName() + " is missing");
                }
            }
            for (Schedule s : m.values()) {
                if (s instanceof PerGroup || s instanceof PerModule) {
                    throw new IllegalArgumentException("per-module schedules cannot be nested");
                }
            }
            modules = java.util.Collections.unmodifiableMap(m);
        }

        @Override
        public double at(int layer, int numLayers, ModuleKind kind) {
            Schedule s = modules.get(kind);
            return (s != null ? s : modules.get(kind.leading())).at(layer, numLayers, kind);
        }
    }
}
