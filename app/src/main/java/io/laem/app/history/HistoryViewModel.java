package io.laem.app.history;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.MergeSettings;
import io.laem.app.core.SessionData;
import io.laem.app.core.SessionFiles;
import io.laem.app.core.WeightTable;
import io.laem.app.core.Workspace;
import io.laem.engine.LaemException;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.session.HistoryEntry;
import io.laem.engine.session.WeightDiff;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.ObservableList;
import javafx.concurrent.Task;

/**
 * The History panel: every merge the user evaluated, applied from the optimizer or exported, with
 * per-task scores side by side; recalls one into the Weights view (settings, enabled adapters and
 * weights; undoable), diffs two (per-layer weight differences), and runs Run > Evaluate, whose result
 * becomes a new entry.
 */
public final class HistoryViewModel {
    public static final String VALIDATION = "validation";
    public static final String TEST = "test";

    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final ObjectProperty<HistoryEntry> selected = new SimpleObjectProperty<>(this, "selected");
    private final ObjectProperty<HistoryEntry> compareWith = new SimpleObjectProperty<>(this, "compareWith");
    private final ReadOnlyObjectWrapper<WeightDiff> diff = new ReadOnlyObjectWrapper<>(this, "diff");
    private final ReadOnlyBooleanWrapper canUndoRecall = new ReadOnlyBooleanWrapper(this, "canUndoRecall");
    private final ReadOnlyBooleanWrapper evaluating = new ReadOnlyBooleanWrapper(this, "evaluating");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private Task<?> evaluation;
    private Consumer<String> errorHandler = m -> {};

    /** What a recall replaced: undo puts it back. */
    private record Before(MergeSettings.Values settings, long seed, List<Boolean> enabled, WeightTable.Mode mode, double[][][] values,
                          io.laem.engine.merge.MergeWeights modules) {}

    private Before before;

    public HistoryViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        selected.addListener(o -> updateDiff());
        compareWith.addListener(o -> updateDiff());
        // another base, session or set of adapters: the state before a recall no longer fits
        workspace.baseProperty().addListener(o -> forgetRecall());
        workspace.fileProperty().addListener(o -> forgetRecall());
        workspace.adapters().addListener((javafx.collections.ListChangeListener<AdapterEntry>) c -> {
            while (c.next()) {
                if (c.wasAdded() || c.wasRemoved()) {
                    forgetRecall();
                }
            }
        });
    }

    public void setErrorHandler(Consumer<String> h) {
        errorHandler = h;
    }

    public ObservableList<HistoryEntry> entries() {
        return workspace.history();
    }

    /** The tasks with scores in any entry, in first-seen order: the score columns. */
    public List<String> scoredTasks() {
        Set<String> t = new LinkedHashSet<>();
        workspace.history().forEach(e -> t.addAll(e.scores().keySet()));
        return List.copyOf(t);
    }

    /** A task's score in an entry, or null when it was not evaluated. */
    public static TaskScore score(HistoryEntry e, String task) {
        return e.scores().get(task);
    }

    /** The entry shown in the details and recalled by {@link #recallSelected()}. */
    public ObjectProperty<HistoryEntry> selectedProperty() {
        return selected;
    }

    /** The entry the selected one is compared with (the diff goes from this one to the selected one). */
    public ObjectProperty<HistoryEntry> compareWithProperty() {
        return compareWith;
    }

    /** Per-layer weight differences selected − compared-with, or null. */
    public ReadOnlyObjectProperty<WeightDiff> diffProperty() {
        return diff.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canUndoRecallProperty() {
        return canUndoRecall.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty evaluatingProperty() {
        return evaluating.getReadOnlyProperty();
    }

    /** One line about the last action (recalled, evaluated, stopped). */
    public ReadOnlyStringProperty statusProperty() {
        return status.getReadOnlyProperty();
    }

    /** Renames an entry (the label is the user's; the session becomes modified). */
    public void rename(HistoryEntry e, String label) {
        int i = indexOf(e);
        if (i >= 0 && !e.label().equals(label)) {
            HistoryEntry n = e.withLabel(label.strip());
            workspace.history().set(i, n);
            if (selected.get() == e) {
                selected.set(n);
            }
            if (compareWith.get() == e) {
                compareWith.set(n);
            }
        }
    }

    /** Removes an entry from the history. */
    public void remove(HistoryEntry e) {
        workspace.history().remove(e);
        if (selected.get() == e) {
            selected.set(null);
        }
        if (compareWith.get() == e) {
            compareWith.set(null);
        }
    }

    /** Keeps the current merge as an entry without scores ("snapshot"). */
    public HistoryEntry keepCurrent() {
        return workspace.addHistory(HistoryEntry.Source.KEPT, "kept by hand");
    }

    /** Recalls the selected entry; a merge that no longer fits the session is one line to the error handler. */
    public void recallSelected() {
        if (selected.get() != null) {
            tryRecall(selected.get());
        }
    }

    /** {@link #recall} with its refusal as one line to the error handler. */
    public void tryRecall(HistoryEntry e) {
        try {
            recall(e);
        } catch (LaemException ex) {
            errorHandler.accept("Recall: " + ex.getMessage());
        }
    }

    /**
     * Makes entry {@code e} the current merge: its merge settings, its adapters enabled and the others
     * disabled (keeping their weights), its weights in the Weights view. One step of Edit > Undo for the
     * weights; {@link #undoRecall()} puts everything back.
     */
    public void recall(HistoryEntry e) {
        Recipe r = e.recipe();
        List<AdapterEntry> as = workspace.adapters();
        List<String> names = as.stream().map(AdapterEntry::name).toList();
        for (String n : r.adapterNames()) {
            if (!names.contains(n)) {
                throw new LaemException("history entry " + e.number() + " merges adapter '" + n + "', which is not in the session");
            }
        }
        if (workspace.base() != null && !workspace.base().dir().equals(r.baseModel().toAbsolutePath().normalize())) {
            throw new LaemException("history entry " + e.number() + " is a merge on " + r.baseModel() + ", not on the session's base model");
        }
        WeightTable table = workspace.weights();
        SessionData now = workspace.snapshot();
        Before b = new Before(now.settings(), now.seed(), as.stream().map(AdapterEntry::isEnabled).toList(), table.mode(),
                table.values(), table.modulesProperty().get() ? table.snapshot() : null);
        Map<String, Schedule> w = new LinkedHashMap<>();
        List<String> series = table.series();
        for (int s = 0; s < series.size(); s++) {
            String name = series.get(s);
            boolean inEntry = s == table.sharedIndex() ? r.shared().mode() != Recipe.Shared.Mode.NONE : r.adapterNames().contains(name);
            w.put(name, inEntry ? r.weights().getOrDefault(name, Schedule.constant(Recipe.DEFAULT_WEIGHT)) : table.schedule(s));
        }
        SessionFiles.Table t = SessionFiles.table(w, series, table.numLayers());
        workspace.settings().set(new MergeSettings.Values(r.redundancy(), r.shared(), r.output()));
        workspace.seedProperty().set(r.redundancy().seed());
        for (AdapterEntry a : as) {
            a.enabledProperty().set(r.adapterNames().contains(a.name()));
        }
        table.load(t.mode(), t.values(), t.modules());
        before = b;
        canUndoRecall.set(true);
        status.set("Recalled #" + e.number() + (e.label().isEmpty() ? "" : " (" + e.label() + ")") + " into the Weights view.");
    }

    /** Puts back the settings, enabled adapters and weights a recall replaced. */
    public void undoRecall() {
        Before b = before;
        if (b == null) {
            return;
        }
        forgetRecall();
        workspace.settings().set(b.settings());
        workspace.seedProperty().set(b.seed());
        List<AdapterEntry> as = workspace.adapters();
        for (int i = 0; i < as.size() && i < b.enabled().size(); i++) {
            as.get(i).enabledProperty().set(b.enabled().get(i));
        }
        workspace.weights().load(b.mode(), b.values(), b.modules());
        status.set("Recall undone.");
    }

    private void forgetRecall() {
        before = null;
        canUndoRecall.set(false);
    }

    /**
     * Run > Evaluate: exact match and NLL per task of the current merge on {@code split}, in the
     * background (progress in the status bar, Stop cancels); the result becomes a history entry.
     */
    public void evaluate(String split) {
        if (evaluating.get()) {
            return;
        }
        SessionData s = workspace.snapshot();
        if (s.tasks().isEmpty()) {
            errorHandler.accept("Evaluate: no task data in the session (File > Add Task Data...)");
            return;
        }
        evaluating.set(true);
        status.set("Evaluating the current merge on " + split + "...");
        evaluation = tasks.run("Evaluating on " + split, p -> backend.evaluateMerge(s, split, p), report -> {
            HistoryEntry e = workspace.addHistory(s, HistoryEntry.Source.EVALUATED, "evaluated on " + split, split, report.tasks());
            selected.set(e);
            status.set(String.format(java.util.Locale.ROOT, "#%d: mean exact match %.1f%%, mean NLL %.4f on %s.", e.number(),
                    100 * report.meanExactMatch(), report.meanNll(), split));
        }, () -> {
            evaluating.set(false);
            if (evaluation != null && evaluation.isCancelled()) {
                status.set("Evaluation stopped.");
            } else if (evaluation != null && evaluation.getState() == javafx.concurrent.Worker.State.FAILED) {
                status.set("Evaluation failed.");
            }
            evaluation = null;
        });
    }

    /** Stops a running evaluation (nothing is added). */
    public void stopEvaluation() {
        if (evaluation != null) {
            evaluation.cancel(true);
        }
    }

    private void updateDiff() {
        HistoryEntry a = compareWith.get();
        HistoryEntry b = selected.get();
        diff.set(a == null || b == null ? null : WeightDiff.of(a, b, workspace.numLayers()));
    }

    private int indexOf(HistoryEntry e) {
        List<HistoryEntry> h = workspace.history();
        for (int i = 0; i < h.size(); i++) {
            if (h.get(i) == e) {
                return i;
            }
        }
        return -1;
    }

    /** The entries' numbers and labels for a chooser ("#3 evaluated on validation"). */
    public static String describe(HistoryEntry e) {
        return e == null ? "" : "#" + e.number() + (e.label().isEmpty() ? "" : " " + e.label());
    }
}
