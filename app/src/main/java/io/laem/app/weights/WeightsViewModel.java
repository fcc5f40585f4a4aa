package io.laem.app.weights;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Errors;
import io.laem.app.core.MergeSettings;
import io.laem.app.core.SessionData;
import io.laem.app.core.WeightTable;
import io.laem.app.core.Workspace;
import io.laem.engine.model.ModuleKind.Group;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.paint.Color;

/**
 * The weights view: one curve per adapter and one for the shared module over the layers, edited
 * as control points or per layer, for all modules or separately for attention and MLP; the merge
 * settings beside them. Every change goes to the live model at once (latest change wins).
 */
public final class WeightsViewModel implements AutoCloseable {
    private final Workspace workspace;
    private final Backend backend;
    private final ObjectProperty<Group> group = new SimpleObjectProperty<>(this, "group", Group.ATTN);
    private final ObjectProperty<WeightTable.Mode> mode = new SimpleObjectProperty<>(this, "mode", WeightTable.Mode.CONTROL_POINTS);
    private final IntegerProperty controlPoints = new SimpleIntegerProperty(this, "controlPoints", WeightTable.DEFAULT_CONTROL_POINTS);
    private final BooleanProperty split = new SimpleBooleanProperty(this, "split");
    private final ExecutorService live = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "laem-live-weights");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<SessionData> pending = new AtomicReference<>();
    private Consumer<String> errorHandler = m -> {};
    private final javafx.beans.property.ReadOnlyIntegerWrapper looks = new javafx.beans.property.ReadOnlyIntegerWrapper(this, "looks");
    private boolean syncing;

    public WeightsViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks) {
        this.workspace = workspace;
        this.backend = backend;
        WeightTable w = workspace.weights();
        w.revisionProperty().addListener(o -> {
            syncFromTable();
            pushLive();
        });
        workspace.adapters().addListener((javafx.beans.Observable o) -> {
            looks.set(looks.get() + 1);
            pushLive();
        });
        mode.addListener((o, a, b) -> {
            if (!syncing) {
                w.setMode(b, controlPoints.get());
            }
        });
        controlPoints.addListener((o, a, b) -> {
            if (!syncing && mode.get() == WeightTable.Mode.CONTROL_POINTS) {
                w.setMode(WeightTable.Mode.CONTROL_POINTS, b.intValue());
            }
        });
        split.addListener((o, a, b) -> {
            if (!syncing) {
                w.setSplit(b);
            }
        });
        syncFromTable();
    }

    public void setErrorHandler(Consumer<String> h) {
        errorHandler = h;
    }

    public WeightTable table() {
        return workspace.weights();
    }

    public MergeSettings settings() {
        return workspace.settings();
    }

    public ReadOnlyIntegerProperty revisionProperty() {
        return workspace.weights().revisionProperty();
    }

    /** Changes when an adapter is switched on or off or changes color (the curves' looks). */
    public ReadOnlyIntegerProperty looksProperty() {
        return looks.getReadOnlyProperty();
    }

    /** Which module group the curves show and edit (both at once unless split). */
    public ObjectProperty<Group> groupProperty() {
        return group;
    }

    public ObjectProperty<WeightTable.Mode> modeProperty() {
        return mode;
    }

    public IntegerProperty controlPointsProperty() {
        return controlPoints;
    }

    public BooleanProperty splitProperty() {
        return split;
    }

    public List<String> series() {
        return workspace.weights().series();
    }

    /** The color of a series' curve: the adapter's color, gray for the shared module. */
    public Color color(int s) {
        List<AdapterEntry> as = workspace.adapters();
        return s < as.size() ? as.get(s).colorProperty().get() : Color.DIMGRAY;
    }

    public boolean isEnabled(int s) {
        List<AdapterEntry> as = workspace.adapters();
        return s >= as.size() || as.get(s).isEnabled();
    }

    public int points() {
        return workspace.weights().points();
    }

    /** Whether series {@code s} has a curve to draw: the shared module's only when the settings merge one. */
    public boolean isShown(int s) {
        return s != workspace.weights().sharedIndex() || workspace.settings().sharedModeProperty().get() != io.laem.engine.merge.recipe.Recipe.Shared.Mode.NONE;
    }

    /**
     * The first shown series before {@code s} whose curve (in the group shown) has the same values,
     * or -1: a curve drawn exactly over another, which the view marks (dashed, "same as" in the legend).
     */
    public int sameAs(int s) {
        if (!isShown(s)) {
            return -1;
        }
        double[] mine = curve(s);
        for (int o = 0; o < s; o++) {
            if (isShown(o) && java.util.Arrays.equals(mine, curve(o))) {
                return o;
            }
        }
        return -1;
    }

    /**
     * How many shown series before {@code s} have exactly its curve (0: none). The view dashes the
     * k-th twin with shorter dashes than the one under it, so that every color of a bundle shows.
     */
    public int twinRank(int s) {
        if (!isShown(s)) {
            return 0;
        }
        double[] mine = curve(s);
        int n = 0;
        for (int o = 0; o < s; o++) {
            if (isShown(o) && java.util.Arrays.equals(mine, curve(o))) {
                n++;
            }
        }
        return n;
    }

    /** The table's layer column: whole layers; a control point between layers shows the nearest ("≈3"). */
    public String pointLabel(int p) {
        double l = pointLayer(p);
        long r = Math.round(l);
        return Math.abs(l - r) < 1e-9 ? Long.toString(r) : "≈" + r;
    }

    /** The layer (x position) of editable point {@code p}. */
    public double pointLayer(int p) {
        return workspace.weights().layerOfPoint(p);
    }

    public double value(int s, int p) {
        return workspace.weights().get(group.get(), s, p);
    }

    /** The curve of series {@code s} at every layer. */
    public double[] curve(int s) {
        return workspace.weights().layerCurve(group.get(), s);
    }

    /** A value typed in the table (one undo step). */
    public void setValue(int s, int p, double v) {
        workspace.weights().set(group.get(), s, p, clamp(v), false);
    }

    /** A point dragged with the mouse: consecutive moves of the same point make one undo step. */
    public void drag(int s, int p, double v) {
        workspace.weights().set(group.get(), s, p, clamp(v), true);
    }

    /** Weights are kept in [-1, 3]: beyond that a merge only amplifies noise. */
    static double clamp(double v) {
        return Math.max(-1, Math.min(3, v));
    }

    private void syncFromTable() {
        syncing = true;
        try {
            WeightTable w = workspace.weights();
            mode.set(w.mode());
            split.set(w.isSplit());
            if (w.mode() == WeightTable.Mode.CONTROL_POINTS) {
                controlPoints.set(w.points());
            }
        } finally {
            syncing = false;
        }
    }

    /** Sends the newest weights to the live model on one thread; stale ones are skipped. */
    private void pushLive() {
        if (workspace.base() == null) {
            return;
        }
        if (pending.getAndSet(workspace.snapshot()) != null) {
            return;
        }
        live.execute(() -> {
            SessionData s = pending.getAndSet(null);
            if (s == null) {
                return;
            }
            try {
                backend.applyWeights(s);
            } catch (RuntimeException e) {
                BackgroundTasks.fx(() -> errorHandler.accept("Applying weights failed: " + Errors.message(e)));
            }
        });
    }

    @Override
    public void close() {
        live.shutdownNow();
    }
}
