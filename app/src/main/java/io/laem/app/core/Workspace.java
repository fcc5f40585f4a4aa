package io.laem.app.core;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.session.HistoryEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javafx.beans.Observable;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.scene.paint.Color;

/**
 * The state every view shares: the open session (base model, adapters, task data, weights, merge
 * settings), its file and whether it has unsaved changes, and the latest analysis. Lives on the FX
 * thread; background jobs get {@link #snapshot()}s.
 */
public final class Workspace {
    private final ReadOnlyObjectWrapper<BaseModelInfo> base = new ReadOnlyObjectWrapper<>(this, "base");
    private final ObservableList<AdapterEntry> adapters =
            FXCollections.observableArrayList(a -> new Observable[] {a.enabledProperty(), a.colorProperty()});
    private final ObservableList<TaskEntry> tasks = FXCollections.observableArrayList();
    private final WeightTable weights = new WeightTable();
    private final MergeSettings settings = new MergeSettings();
    private final LongProperty seed = new SimpleLongProperty(this, "seed", 42);
    private final ObjectProperty<Path> file = new SimpleObjectProperty<>(this, "file");
    private final ReadOnlyBooleanWrapper dirty = new ReadOnlyBooleanWrapper(this, "dirty");
    private final ObjectProperty<AnalysisData> analysis = new SimpleObjectProperty<>(this, "analysis");
    private final ObjectProperty<Path> tasksFile = new SimpleObjectProperty<>(this, "tasksFile");
    private final BooleanProperty loading = new SimpleBooleanProperty(this, "loading");
    private final ObservableList<HistoryEntry> history = FXCollections.observableArrayList();

    public Workspace() {
        Runnable touch = () -> {
            if (!loading.get()) {
                dirty.set(true);
            }
        };
        adapters.addListener((Observable o) -> touch.run());
        history.addListener((Observable o) -> touch.run());
        tasks.addListener((Observable o) -> {
            touch.run();
            if (!loading.get()) {
                tasksFile.set(null); // edited tasks are written next to the session on save
            }
        });
        weights.revisionProperty().addListener(o -> touch.run());
        for (javafx.beans.Observable p : List.of(settings.strategyProperty(), settings.densityProperty(), settings.energyProperty(),
                settings.signProperty(), settings.sharedModeProperty(), settings.sharedRankProperty(), settings.sharedPathProperty(),
                settings.outputRankProperty(), settings.outputDtypeProperty())) {
            p.addListener(o -> touch.run());
        }
        seed.addListener(o -> touch.run());
        base.addListener(o -> touch.run());
    }

    public ReadOnlyObjectProperty<BaseModelInfo> baseProperty() {
        return base.getReadOnlyProperty();
    }

    public BaseModelInfo base() {
        return base.get();
    }

    public ObservableList<AdapterEntry> adapters() {
        return adapters;
    }

    public ObservableList<TaskEntry> tasks() {
        return tasks;
    }

    /** The merge history, oldest first (saved in the session file). */
    public ObservableList<HistoryEntry> history() {
        return history;
    }

    /** Keeps the current merge in the history ({@link #addHistory(SessionData, HistoryEntry.Source, String, String, java.util.Map)}). */
    public HistoryEntry addHistory(HistoryEntry.Source source, String label) {
        return addHistory(snapshot(), source, label, null, java.util.Map.of());
    }

    /**
     * Keeps the merge of snapshot {@code s} (enabled adapters, settings, weights) in the history, with
     * its scores on {@code split} when it was evaluated; returns the new entry.
     */
    public HistoryEntry addHistory(SessionData s, HistoryEntry.Source source, String label, String split, java.util.Map<String, TaskScore> scores) {
        if (s.base() == null || s.enabledAdapters().isEmpty()) {
            throw new io.laem.engine.LaemException("no merge to keep: open a base model and enable an adapter");
        }
        HistoryEntry e = new HistoryEntry(HistoryEntry.nextNumber(history), label, java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                source, split, s.toRecipe(true, null), scores);
        history.add(e);
        return e;
    }

    public WeightTable weights() {
        return weights;
    }

    public MergeSettings settings() {
        return settings;
    }

    public LongProperty seedProperty() {
        return seed;
    }

    public ObjectProperty<Path> fileProperty() {
        return file;
    }

    public ReadOnlyBooleanProperty dirtyProperty() {
        return dirty.getReadOnlyProperty();
    }

    public boolean isDirty() {
        return dirty.get();
    }

    public void markSaved(Path to) {
        file.set(to);
        dirty.set(false);
    }

    public ObjectProperty<AnalysisData> analysisProperty() {
        return analysis;
    }

    public int numLayers() {
        return base.get() == null ? 1 : base.get().config().numLayers();
    }

    /** Sets a new base model; adapters of another base cannot stay, so they go. */
    public void setBase(BaseModelInfo info) {
        base.set(info);
        adapters.clear();
        analysis.set(null);
        resetWeights();
    }

    public void addAdapter(Backend.AdapterInfo a) {
        if (adapters.stream().anyMatch(e -> e.name().equals(a.name()))) {
            throw new io.laem.engine.LaemException(a.dir() + ": an adapter named '" + a.name() + "' is already in the session");
        }
        adapters.add(new AdapterEntry(a.name(), a.dir(), a.rank(), a.scale(), a.modules(),
                AdapterEntry.PALETTE[adapters.size() % AdapterEntry.PALETTE.length]));
        analysis.set(null);
        resetWeights();
    }

    public void removeAdapter(AdapterEntry a) {
        adapters.remove(a);
        analysis.set(null);
        resetWeights();
    }

    /** Uniform weights over the current adapters and layers (history cleared). */
    public void resetWeights() {
        weights.reset(adapters.stream().map(AdapterEntry::name).toList(), numLayers());
    }

    /** Replaces everything with an opened session; not dirty afterwards. */
    public void load(SessionData s, BaseModelInfo baseInfo, List<Backend.AdapterInfo> infos, List<TaskEntry> taskData, Path from) {
        loading.set(true);
        try {
            base.set(baseInfo);
            adapters.clear();
            for (int i = 0; i < infos.size(); i++) {
                Backend.AdapterInfo a = infos.get(i);
                SessionData.AdapterRef ref = i < s.adapters().size() ? s.adapters().get(i) : null;
                Color c = ref != null && ref.color() != null ? Color.web(ref.color()) : AdapterEntry.PALETTE[i % AdapterEntry.PALETTE.length];
                AdapterEntry e = new AdapterEntry(a.name(), a.dir(), a.rank(), a.scale(), a.modules(), c);
                e.enabledProperty().set(ref == null || ref.enabled());
                adapters.add(e);
            }
            tasks.setAll(taskData);
            resetWeights();
            double[][][] v = s.weightValues();
            if (v != null && v.length == 2 && v[0].length == weights.series().size()) {
                int pts = v[0][0].length;
                weights.setMode(s.weightMode() == null ? WeightTable.Mode.CONTROL_POINTS : s.weightMode(), pts);
                if (weights.points() == pts) {
                    weights.setAll(v, false);
                }
            }
            MergeWeights perModule = s.weights();
            if (perModule != null && perModule.layout() == MergeWeights.Layout.MODULES && perModule.entries().equals(weights.series())
                    && perModule.numLayers() == weights.numLayers()) {
                weights.load(weights.mode(), weights.values(), perModule); // a per-module recipe: held as it is
            }
            settings.set(s.settings());
            seed.set(s.seed());
            tasksFile.set(s.tasksFile());
            history.setAll(s.history());
            analysis.set(null);
            file.set(from);
            dirty.set(false);
        } finally {
            loading.set(false);
        }
    }

    /** An empty session (File > New). */
    public void clear() {
        loading.set(true);
        try {
            base.set(null);
            adapters.clear();
            tasks.clear();
            tasksFile.set(null);
            history.clear();
            resetWeights();
            analysis.set(null);
            file.set(null);
            dirty.set(false);
        } finally {
            loading.set(false);
        }
    }

    /** The session as an immutable value for background work and saving. */
    public SessionData snapshot() {
        List<SessionData.AdapterRef> refs = new ArrayList<>();
        for (AdapterEntry a : adapters) {
            refs.add(new SessionData.AdapterRef(a.name(), a.dir(), a.isEnabled(), toHex(a.colorProperty().get())));
        }
        List<SessionData.TaskRef> ts = tasks.stream().map(t -> new SessionData.TaskRef(t.name(), t.file())).toList();
        return new SessionData(base.get() == null ? null : base.get().dir(), List.copyOf(refs), ts, tasksFile.get(),
                weights.mode(), weights.values(), weights.snapshot(), settings.values(seed.get()), seed.get(), List.copyOf(history));
    }

    static String toHex(Color c) {
        if (c == null) {
            return null;
        }
        return String.format("#%02x%02x%02x", Math.round(c.getRed() * 255), Math.round(c.getGreen() * 255), Math.round(c.getBlue() * 255));
    }
}
