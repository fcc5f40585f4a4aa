package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hipparchus.linear.MatrixUtils;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.SingularValueDecomposition;

/**
 * Maps a search vector to merge weights. Every parameterization here is linear and acts on each
 * entry (adapter or shared module) alone: the entry's block of {@code perEntry()} numbers is mapped
 * by a fixed basis to its (layer, slot) weights, a slot being a module group or, for
 * {@code per-layer-module}, a module. Dimension grows down the list:
 * <ul>
 *   <li>{@code per-task}: one number per entry (T);
 *   <li>{@code curve:K}: K control points per entry, interpolated across layers with mergekit's
 *       "gradient" semantics (K*T);
 *   <li>{@code per-layer}: one number per layer (L*T);
 *   <li>{@code per-layer-kind}: one number per layer and module group, attention or MLP (2*L*T);
 *   <li>{@code per-layer-module}: one number per layer and module, q/k/v/o/gate/up/down_proj (7*L*T;
 *       a fused module takes its leading module's number: qkv_proj q_proj's, gate_up_proj gate_proj's).
 * </ul>
 * {@link #encode} maps existing weights back (least squares through the basis, clipped to the
 * bounds) for a warm start; it inverts {@link #decode} on the parameterization's own range.
 */
public final class Parameterization {
    /** The families. */
    public enum Kind {
        PER_TASK("per-task"), CURVE("curve"), PER_LAYER("per-layer"), PER_LAYER_KIND("per-layer-kind"),
        PER_LAYER_MODULE("per-layer-module");

        private final String spec;

        Kind(String spec) {
            this.spec = spec;
        }

        public String spec() {
            return spec;
        }
    }

    /** The modules that have numbers of their own in {@code per-layer-module}. */
    private static final List<ModuleKind> MODULES = ModuleKind.unfused();

    public static final double DEFAULT_LOWER = -0.5;
    public static final double DEFAULT_UPPER = 2.0;

    private final Kind kind;
    private final int points; // control points (curve), else per-entry count
    private final List<String> entries;
    private final int numLayers;
    private final MergeWeights.Layout layout;
    private final double[][] basis; // [layer*slots + slot][param]
    private final double[][] pseudoInverse; // [param][layer*slots + slot]
    private final double lower;
    private final double upper;

    private Parameterization(Kind kind, int points, List<String> entries, int numLayers, double lower, double upper) {
        if (!(lower < upper)) {
            throw new LaemException("weight bounds [" + lower + ", " + upper + "] are empty");
        }
        if (entries.isEmpty() || numLayers < 1) {
            throw new IllegalArgumentException("a parameterization needs entries and layers");
        }
        this.kind = kind;
        this.entries = List.copyOf(entries);
        this.numLayers = numLayers;
        this.lower = lower;
        this.upper = upper;
        this.layout = layoutOf(kind);
        this.basis = basis(kind, points, numLayers);
        this.points = basis[0].length;
        RealMatrix b = MatrixUtils.createRealMatrix(basis);
        this.pseudoInverse = new SingularValueDecomposition(b).getSolver().getInverse().getData();
    }

    public static Parameterization perTask(List<String> entries, int numLayers) {
        return new Parameterization(Kind.PER_TASK, 1, entries, numLayers, DEFAULT_LOWER, DEFAULT_UPPER);
    }

    public static Parameterization curve(int controlPoints, List<String> entries, int numLayers) {
        return new Parameterization(Kind.CURVE, controlPoints, entries, numLayers, DEFAULT_LOWER, DEFAULT_UPPER);
    }

    public static Parameterization perLayer(List<String> entries, int numLayers) {
        return new Parameterization(Kind.PER_LAYER, numLayers, entries, numLayers, DEFAULT_LOWER, DEFAULT_UPPER);
    }

    public static Parameterization perLayerKind(List<String> entries, int numLayers) {
        return new Parameterization(Kind.PER_LAYER_KIND, numLayers * MergeWeights.GROUPS, entries, numLayers,
                DEFAULT_LOWER, DEFAULT_UPPER);
    }

    public static Parameterization perLayerModule(List<String> entries, int numLayers) {
        return new Parameterization(Kind.PER_LAYER_MODULE, numLayers * MODULES.size(), entries, numLayers,
                DEFAULT_LOWER, DEFAULT_UPPER);
    }

    private static MergeWeights.Layout layoutOf(Kind kind) {
        return kind == Kind.PER_LAYER_MODULE ? MergeWeights.Layout.MODULES : MergeWeights.Layout.GROUPS;
    }

    /**
     * Which parameterization, independent of entries and layers: a kind and, for a curve, its K
     * control points. Written {@code per-task | curve:K | per-layer | per-layer-kind | per-layer-module}.
     */
    public record Spec(Kind kind, int points) {
        public Spec {
            if (kind == Kind.CURVE && points < 1) {
                throw new LaemException("--param curve:" + points + ": K must be at least 1");
            }
            if (kind != Kind.CURVE) {
                points = 0;
            }
        }

        public static Spec of(Kind kind) {
            return new Spec(kind, kind == Kind.CURVE ? 2 : 0);
        }

        public static Spec curve(int controlPoints) {
            return new Spec(Kind.CURVE, controlPoints);
        }

        /** Parses the written form (the command line's {@code --param}). */
        public static Spec parse(String spec) {
            Kind kind = kindOf(spec);
            return new Spec(kind, kind == Kind.CURVE ? curvePoints(spec) : 0);
        }

        @Override
        public String toString() {
            return kind == Kind.CURVE ? "curve:" + points : kind.spec();
        }
    }

    /** The parameterization of a spec over these entries and layers; a curve needs K <= layers. */
    public static Parameterization of(Spec spec, List<String> entries, int numLayers) {
        if (spec.kind() == Kind.CURVE) {
            if (spec.points() > numLayers) {
                throw new LaemException("--param " + spec + ": K must be between 1 and the " + numLayers + " layers");
            }
            return curve(spec.points(), entries, numLayers);
        }
        return switch (spec.kind()) {
            case PER_TASK -> perTask(entries, numLayers);
            case PER_LAYER -> perLayer(entries, numLayers);
            case PER_LAYER_MODULE -> perLayerModule(entries, numLayers);
            default -> perLayerKind(entries, numLayers);
        };
    }

    /** Parses {@code per-task | curve:K | per-layer | per-layer-kind | per-layer-module}; a curve needs 1 <= K <= layers. */
    public static Parameterization parse(String spec, List<String> entries, int numLayers) {
        return of(Spec.parse(spec), entries, numLayers);
    }

    /** Checks a spec's syntax before any model is loaded (a curve's K is checked against the layers later). */
    public static void checkSpec(String spec) {
        Spec.parse(spec);
    }

    private static Kind kindOf(String spec) {
        String s = spec.trim().toLowerCase();
        if (s.startsWith("curve:")) {
            return Kind.CURVE;
        }
        return switch (s) {
            case "per-task", "per-adapter" -> Kind.PER_TASK;
            case "per-layer" -> Kind.PER_LAYER;
            case "per-layer-kind" -> Kind.PER_LAYER_KIND;
            case "per-layer-module" -> Kind.PER_LAYER_MODULE;
            default -> throw new LaemException("--param " + spec
                    + ": expected per-task, curve:K, per-layer, per-layer-kind or per-layer-module");
        };
    }

    private static int curvePoints(String spec) {
        int k;
        try {
            k = Integer.parseInt(spec.trim().substring(6));
        } catch (NumberFormatException e) {
            throw new LaemException("--param " + spec + ": expected curve:K with an integer K");
        }
        if (k < 1) {
            throw new LaemException("--param " + spec + ": K must be at least 1");
        }
        return k;
    }

    /** The same parameterization with other bounds (default [-0.5, 2]). */
    public Parameterization withBounds(double lower, double upper) {
        return new Parameterization(kind, kind == Kind.CURVE ? points : 1, entries, numLayers, lower, upper);
    }

    public Kind kind() {
        return kind;
    }

    /** {@code per-task}, {@code curve:K}, {@code per-layer}, {@code per-layer-kind} or {@code per-layer-module}. */
    public String spec() {
        return kind == Kind.CURVE ? Spec.curve(points).toString() : kind.spec();
    }

    public List<String> entries() {
        return entries;
    }

    /** Whether {@link #decode} gives weights per module group or per module. */
    public MergeWeights.Layout layout() {
        return layout;
    }

    public int numLayers() {
        return numLayers;
    }

    /** Numbers per entry. */
    public int perEntry() {
        return points;
    }

    public int dimension() {
        return points * entries.size();
    }

    public double lower() {
        return lower;
    }

    public double upper() {
        return upper;
    }

    public double[] lowerBounds() {
        double[] b = new double[dimension()];
        Arrays.fill(b, lower);
        return b;
    }

    public double[] upperBounds() {
        double[] b = new double[dimension()];
        Arrays.fill(b, upper);
        return b;
    }

    /** A name per search coordinate, e.g. {@code math@L3.mlp} (history CSV columns). */
    public List<String> labels() {
        List<String> out = new ArrayList<>(dimension());
        for (String e : entries) {
            for (int p = 0; p < points; p++) {
                out.add(switch (kind) {
                    case PER_TASK -> e;
                    case CURVE -> e + "@c" + p;
                    case PER_LAYER -> e + "@L" + p;
                    case PER_LAYER_KIND -> e + "@L" + (p / MergeWeights.GROUPS) + "."
                            + ModuleKind.Group.values()[p % MergeWeights.GROUPS].key();
                    case PER_LAYER_MODULE -> e + "@L" + (p / MODULES.size()) + "." + MODULES.get(p % MODULES.size()).peftName();
                });
            }
        }
        return out;
    }

    /** The weights a search vector stands for. */
    public MergeWeights decode(double[] x) {
        checkDimension(x);
        int slots = layout.slots();
        return MergeWeights.ofSlots(layout, entries, numLayers, (e, l, slot) -> {
            double[] row = basis[l * slots + slot];
            double s = 0;
            for (int p = 0; p < points; p++) {
                s += row[p] * x[e * points + p];
            }
            return s;
        });
    }

    /**
     * The gradient with respect to the search vector of a function whose gradient with respect to the
     * weights is {@code g} (the chain rule through {@link #decode}, which is linear: {@code B^T g}).
     */
    public double[] pullBack(MergeWeights g) {
        if (!g.entries().equals(entries) || g.numLayers() != numLayers || g.layout() != layout) {
            throw new IllegalArgumentException("gradient for other entries, layers or slots");
        }
        int slots = layout.slots();
        double[] out = new double[dimension()];
        for (int e = 0; e < entries.size(); e++) {
            for (int r = 0; r < numLayers * slots; r++) {
                double gr = g.getSlot(e, r / slots, r % slots);
                for (int p = 0; p < points; p++) {
                    out[e * points + p] += basis[r][p] * gr;
                }
            }
        }
        return out;
    }

    /**
     * The search vector closest (least squares over layers and slots) to the given weights, clipped
     * to the bounds: a warm start from the current weights. Entries missing from {@code w} start at
     * {@code fallback}.
     */
    public double[] encode(MergeWeights w, double fallback) {
        double[] x = new double[dimension()];
        int slots = layout.slots();
        int rows = numLayers * slots;
        for (int e = 0; e < entries.size(); e++) {
            int src = w.entries().indexOf(entries.get(e));
            for (int p = 0; p < points; p++) {
                double s = 0;
                if (src < 0) {
                    s = fallback;
                } else {
                    if (w.numLayers() != numLayers) {
                        throw new IllegalArgumentException("warm-start weights have " + w.numLayers()
                                + " layers, expected " + numLayers);
                    }
                    for (int r = 0; r < rows; r++) {
                        s += pseudoInverse[p][r] * w.get(src, r / slots, layout.kind(r % slots));
                    }
                }
                x[e * points + p] = Math.clamp(s, lower, upper);
            }
        }
        return x;
    }

    public double[] encode(MergeWeights w) {
        return encode(w, 0);
    }

    /**
     * The recipe schedule of each entry for a search vector: a number (per-task), a list of control
     * points (curve, per-layer), one list per module group (per-layer-kind) or per module (per-layer-module).
     */
    public Map<String, Schedule> schedules(double[] x) {
        checkDimension(x);
        Map<String, Schedule> out = new LinkedHashMap<>();
        for (int e = 0; e < entries.size(); e++) {
            int off = e * points;
            out.put(entries.get(e), switch (kind) {
                case PER_TASK -> Schedule.constant(x[off]);
                case CURVE, PER_LAYER -> Schedule.gradient(Arrays.copyOfRange(x, off, off + points));
                case PER_LAYER_KIND -> Schedule.perGroup(
                        Schedule.perLayer(strided(x, off + ModuleKind.Group.ATTN.ordinal(), numLayers)),
                        Schedule.perLayer(strided(x, off + ModuleKind.Group.MLP.ordinal(), numLayers)));
                case PER_LAYER_MODULE -> Schedule.perModule(numLayers, (l, k) -> x[off + l * MODULES.size() + MODULES.indexOf(k)]);
            });
        }
        return out;
    }

    private static double[] strided(double[] x, int off, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = x[off + i * MergeWeights.GROUPS];
        }
        return out;
    }

    private void checkDimension(double[] x) {
        if (x.length != dimension()) {
            throw new IllegalArgumentException("vector of " + x.length + " numbers for a " + spec()
                    + " parameterization of dimension " + dimension());
        }
    }

    private static double[][] basis(Kind kind, int points, int numLayers) {
        MergeWeights.Layout layout = layoutOf(kind);
        int groups = layout.slots();
        int cols = switch (kind) {
            case PER_TASK -> 1;
            case CURVE -> points;
            case PER_LAYER -> numLayers;
            case PER_LAYER_KIND -> numLayers * groups;
            case PER_LAYER_MODULE -> numLayers * MODULES.size();
        };
        if (cols < 1) {
            throw new LaemException("a curve needs at least one control point");
        }
        double[][] b = new double[numLayers * groups][cols];
        for (int l = 0; l < numLayers; l++) {
            for (int g = 0; g < groups; g++) {
                double[] row = b[l * groups + g];
                switch (kind) {
                    case PER_TASK -> row[0] = 1;
                    case CURVE -> gradientRow(l, numLayers, row);
                    case PER_LAYER -> row[l] = 1;
                    case PER_LAYER_KIND -> row[l * groups + g] = 1;
                    case PER_LAYER_MODULE -> row[l * MODULES.size() + MODULES.indexOf(layout.kind(g).leading())] = 1;
                }
            }
        }
        return b;
    }

    /** Row of the curve basis: the recipe schedule's own interpolation, applied to unit control points. */
    private static void gradientRow(int layer, int numLayers, double[] row) {
        for (int p = 0; p < row.length; p++) {
            double[] unit = new double[row.length];
            unit[p] = 1;
            row[p] = Schedule.gradient(unit).at(layer, numLayers, ModuleKind.Q_PROJ);
        }
    }
}
