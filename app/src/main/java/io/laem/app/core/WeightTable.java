package io.laem.app.core;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.ModuleKind.Group;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;

/**
 * The merge weights the user edits: for each series (every adapter, then the shared module) a recipe
 * {@link Schedule} over the layers, edited through its control points: K points interpolated across
 * the layers (mergekit's "gradient" semantics, {@link Schedule.Gradient}) or one value per layer;
 * optionally separate for attention and MLP modules ({@link Schedule.PerGroup}). The engine gets
 * {@link #snapshot()} ({@link MergeWeights}) and gives the optimizer's weights back through
 * {@link #show}. Weights per module (an optimizer run with {@code per-layer-module}) are held as they are and
 * applied until a curve changes; the curves show each group's mean over its modules meanwhile
 * ({@link #modulesProperty()}). Every change bumps {@link #revisionProperty()} and can be undone.
 *
 * <p>Used on the FX thread only.
 */
public final class WeightTable {
    public static final String SHARED = "shared";
    public static final int DEFAULT_CONTROL_POINTS = 4;

    public enum Mode { CONTROL_POINTS, PER_LAYER }

    public enum Preset {
        UNIFORM("Uniform"), ATTENTION_ONLY("Attention only"), MLP_ONLY("MLP only"), RAMP_UP("Ramp up"), RAMP_DOWN("Ramp down");

        private final String label;

        Preset(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** Everything an undo step restores. */
    private record State(Mode mode, boolean split, double[][][] values, MergeWeights modules) {}

    private List<String> series = List.of(SHARED);
    private int numLayers = 1;
    private Mode mode = Mode.CONTROL_POINTS;
    private boolean split;
    private double[][][] values = new double[2][1][DEFAULT_CONTROL_POINTS];
    private final Deque<State> undo = new ArrayDeque<>();
    private final Deque<State> redo = new ArrayDeque<>();
    private String lastCoalesceKey;
    private final ReadOnlyIntegerWrapper revision = new ReadOnlyIntegerWrapper(this, "revision");
    private final ReadOnlyBooleanWrapper canUndo = new ReadOnlyBooleanWrapper(this, "canUndo");
    private final ReadOnlyBooleanWrapper canRedo = new ReadOnlyBooleanWrapper(this, "canRedo");
    /** Weights per module (entries: the series) applied as they are until a curve changes; null: none. */
    private MergeWeights modules;
    private final ReadOnlyBooleanWrapper holdsModules = new ReadOnlyBooleanWrapper(this, "holdsModules");

    /** Starts over for these adapters and layers with uniform weights and no history. */
    public void reset(List<String> adapters, int layers) {
        series = Stream.concat(adapters.stream(), Stream.of(SHARED)).toList();
        numLayers = Math.max(1, layers);
        mode = Mode.CONTROL_POINTS;
        split = false;
        values = new double[2][series.size()][Math.min(DEFAULT_CONTROL_POINTS, numLayers)];
        fillPreset(Preset.UNIFORM);
        undo.clear();
        redo.clear();
        lastCoalesceKey = null;
        setModules(null);
        changed();
    }

    public List<String> series() {
        return series;
    }

    /** Index of the shared module's series (the last one). */
    public int sharedIndex() {
        return series.size() - 1;
    }

    public int numLayers() {
        return numLayers;
    }

    public Mode mode() {
        return mode;
    }

    public boolean isSplit() {
        return split;
    }

    /** Number of editable points per curve: K control points, or one per layer. */
    public int points() {
        return values[0][0].length;
    }

    /** The layer position of control point {@code p} (fractional in control-point mode). */
    public double layerOfPoint(int p) {
        int n = points();
        return n == 1 ? 0 : (double) p * (numLayers - 1) / (n - 1);
    }

    public double get(Group group, int s, int p) {
        return values[group.ordinal()][s][p];
    }

    /**
     * Sets one point; without a split both groups change. Consecutive changes of the same point with
     * {@code coalesce} (a mouse drag) make one undo step.
     */
    public void set(Group group, int s, int p, double v, boolean coalesce) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("weight must be a finite number");
        }
        String key = group + "/" + s + "/" + p;
        if (!(coalesce && key.equals(lastCoalesceKey))) {
            remember();
        }
        lastCoalesceKey = coalesce ? key : null;
        if (split) {
            values[group.ordinal()][s][p] = v;
        } else {
            values[0][s][p] = v;
            values[1][s][p] = v;
        }
        changed();
    }

    /** The curve of series {@code s} evaluated at every layer. */
    public double[] layerCurve(Group group, int s) {
        Schedule sc = schedule(s);
        double[] out = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            out[l] = sc.at(l, numLayers, kindOf(group));
        }
        return out;
    }

    /** The recipe schedule series {@code s} stands for: its control points are a view of it. */
    public Schedule schedule(int s) {
        return schedule(values[Group.ATTN.ordinal()][s], values[Group.MLP.ordinal()][s]);
    }

    /**
     * The schedule of control points for attention and MLP modules: a number, a list interpolated
     * across the layers, or one of each per group when they differ.
     */
    public static Schedule schedule(double[] attn, double[] mlp) {
        Schedule a = points(attn);
        return java.util.Arrays.equals(attn, mlp) ? a : Schedule.perGroup(a, points(mlp));
    }

    private static Schedule points(double[] v) {
        return v.length == 1 ? Schedule.constant(v[0]) : Schedule.gradient(v);
    }

    /** A module kind of the group (schedules differ at most per group). */
    private static ModuleKind kindOf(Group g) {
        return g == Group.ATTN ? ModuleKind.Q_PROJ : ModuleKind.GATE_PROJ;
    }

    /** Switches between control points and per-layer values, keeping the curves. */
    public void setMode(Mode m, int controlPoints) {
        int n = m == Mode.PER_LAYER ? numLayers : Math.max(1, Math.min(controlPoints, numLayers));
        if (m == mode && n == points()) {
            return;
        }
        remember();
        double[][][] next = new double[2][series.size()][n];
        for (Group g : Group.values()) {
            for (int s = 0; s < series.size(); s++) {
                Schedule.Gradient curve = new Schedule.Gradient(values[g.ordinal()][s]);
                for (int p = 0; p < n; p++) {
                    next[g.ordinal()][s][p] = n == numLayers ? curve.at(p, numLayers, kindOf(g))
                            : curve.atDepth(n == 1 ? 0 : (double) p / (n - 1));
                }
            }
        }
        mode = m;
        values = next;
        changed();
    }

    /** Gives attention and MLP modules separate curves (a copy of the current ones to start). */
    public void setSplit(boolean on) {
        if (on == split) {
            return;
        }
        remember();
        split = on;
        if (!on) {
            values[1] = deepCopy2(values[0]);
        }
        changed();
    }

    public void applyPreset(Preset preset) {
        remember();
        fillPreset(preset);
        changed();
    }

    /**
     * Replaces all values at once (the optimizer's best so far). {@code perSeries} holds, per group,
     * per series, {@link #points()} values. One undo step per call unless {@code coalesce}.
     */
    public void setAll(double[][][] perSeries, boolean coalesce) {
        if (!(coalesce && "all".equals(lastCoalesceKey))) {
            remember();
        }
        lastCoalesceKey = coalesce ? "all" : null;
        values = deepCopy(perSeries);
        split = !java.util.Arrays.deepEquals(values[0], values[1]);
        changed();
    }

    /**
     * Whether the table holds weights per module (an optimizer run with {@code per-layer-module}, a recalled or
     * opened per-module recipe): {@link #snapshot()} is those weights, and the curves, one per group, show each
     * group's mean over its modules. The first change of a curve (or of the mode, split, preset) replaces them
     * with the curves; undo brings them back.
     */
    public ReadOnlyBooleanProperty modulesProperty() {
        return holdsModules.getReadOnlyProperty();
    }

    private void setModules(MergeWeights m) {
        modules = m;
        holdsModules.set(m != null);
    }

    /**
     * Shows merge weights (the optimizer's best so far) as per-layer values: series the weights have
     * take theirs, the others keep their curves. Weights per module are held as they are and show as each
     * group's mean over its modules ({@link #modulesProperty()}). One undo step per call unless {@code coalesce}.
     */
    public void show(MergeWeights w, boolean coalesce) {
        if (w.numLayers() != numLayers) {
            throw new IllegalArgumentException("weights for " + w.numLayers() + " layers, the table has " + numLayers);
        }
        MergeWeights before = snapshot();
        if (!(coalesce && "all".equals(lastCoalesceKey))) {
            remember();
        }
        lastCoalesceKey = coalesce ? "all" : null;
        double[][][] next = new double[2][series.size()][];
        for (Group g : Group.values()) {
            for (int s = 0; s < series.size(); s++) {
                int e = w.entries().indexOf(series.get(s));
                next[g.ordinal()][s] = e < 0 ? layerCurve(g, s) : w.groupMeans(e, g);
            }
        }
        mode = Mode.PER_LAYER;
        values = next;
        setModules(w.layout() != MergeWeights.Layout.MODULES ? null : MergeWeights.ofModules(series, numLayers, (s, l, k) -> {
            int e = w.entries().indexOf(series.get(s));
            return e < 0 ? before.get(s, l, k) : w.get(e, l, k);
        }));
        split = !java.util.Arrays.deepEquals(values[0], values[1]);
        changed();
    }

    /**
     * Replaces mode and values at once (a merge recalled from the history): {@code values} holds, per
     * group, per series, the control points (or one value per layer in per-layer mode). One undo step.
     */
    public void load(Mode m, double[][][] v) {
        load(m, v, null);
    }

    /**
     * {@link #load(Mode, double[][][])} with weights per module to hold ({@link #modulesProperty()}; entries: the
     * series; null: none), the curves being their group means.
     */
    public void load(Mode m, double[][][] v, MergeWeights perModule) {
        if (perModule != null && (!perModule.entries().equals(series) || perModule.numLayers() != numLayers)) {
            throw new IllegalArgumentException("per-module weights for " + perModule.entries() + ", the table has " + series);
        }
        if (v.length != 2 || v[0].length != series.size()) {
            throw new IllegalArgumentException("weights for " + v[0].length + " series, the table has " + series.size());
        }
        remember();
        mode = m;
        values = deepCopy(v);
        split = !java.util.Arrays.deepEquals(values[0], values[1]);
        lastCoalesceKey = null;
        setModules(perModule);
        changed();
    }

    /** Sets a per-layer table (series x layers, both groups) in per-layer mode. */
    public void setPerLayer(double[][] attn, double[][] mlp) {
        remember();
        mode = Mode.PER_LAYER;
        values = new double[][][] {deepCopy2(attn), deepCopy2(mlp)};
        split = !java.util.Arrays.deepEquals(attn, mlp);
        changed();
    }

    /** A copy of the raw values [group][series][point]. */
    public double[][][] values() {
        return deepCopy(values);
    }

    /** The weights at every layer, as the engine takes them (entries: the series): the per-module ones when held. */
    public MergeWeights snapshot() {
        if (modules != null) {
            return modules;
        }
        List<Schedule> schedules = java.util.stream.IntStream.range(0, series.size()).mapToObj(this::schedule).toList();
        return MergeWeights.of(series, numLayers, (e, l, g) -> schedules.get(e).at(l, numLayers, kindOf(g)));
    }

    public void undo() {
        if (!undo.isEmpty()) {
            redo.push(state());
            restore(undo.pop());
        }
    }

    public void redo() {
        if (!redo.isEmpty()) {
            undo.push(state());
            restore(redo.pop());
        }
    }

    public ReadOnlyBooleanProperty canUndoProperty() {
        return canUndo.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canRedoProperty() {
        return canRedo.getReadOnlyProperty();
    }

    /** Increments on every change of the weights. */
    public ReadOnlyIntegerProperty revisionProperty() {
        return revision.getReadOnlyProperty();
    }

    private void fillPreset(Preset preset) {
        int t = Math.max(1, series.size() - 1);
        int n = points();
        double uniform = 1.0 / t;
        for (Group g : Group.values()) {
            boolean on = switch (preset) {
                case ATTENTION_ONLY -> g == Group.ATTN;
                case MLP_ONLY -> g == Group.MLP;
                default -> true;
            };
            for (int s = 0; s < series.size(); s++) {
                boolean shared = s == series.size() - 1;
                for (int p = 0; p < n; p++) {
                    double x = n == 1 ? 0.5 : (double) p / (n - 1);
                    double v = switch (preset) {
                        case RAMP_UP -> shared ? 1 : 2 * uniform * x;
                        case RAMP_DOWN -> shared ? 1 : 2 * uniform * (1 - x);
                        default -> shared ? 1 : uniform;
                    };
                    values[g.ordinal()][s][p] = on ? v : 0;
                }
            }
        }
        split = preset == Preset.ATTENTION_ONLY || preset == Preset.MLP_ONLY;
    }

    private State state() {
        return new State(mode, split, deepCopy(values), modules);
    }

    /** Before every change: an undo step, and the held per-module weights give way to the curves. */
    private void remember() {
        undo.push(state());
        setModules(null);
        redo.clear();
        if (undo.size() > 200) {
            undo.removeLast();
        }
    }

    private void restore(State s) {
        mode = s.mode();
        split = s.split();
        values = s.values();
        setModules(s.modules());
        lastCoalesceKey = null;
        changed();
    }

    private void changed() {
        canUndo.set(!undo.isEmpty());
        canRedo.set(!redo.isEmpty());
        revision.set(revision.get() + 1);
    }

    private static double[][][] deepCopy(double[][][] v) {
        double[][][] c = new double[v.length][][];
        for (int i = 0; i < v.length; i++) {
            c[i] = deepCopy2(v[i]);
        }
        return c;
    }

    private static double[][] deepCopy2(double[][] v) {
        double[][] c = new double[v.length][];
        for (int i = 0; i < v.length; i++) {
            c[i] = v[i].clone();
        }
        return c;
    }
}
