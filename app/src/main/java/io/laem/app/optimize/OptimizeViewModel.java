package io.laem.app.optimize;

import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Optimization;
import io.laem.app.core.Progress;
import io.laem.app.core.Workspace;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.optimize.Parameterization;
import javafx.application.Platform;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Task;

/**
 * The optimize view: search space, budget and seed; a run whose events feed the live chart and
 * whose best weights so far animate in the weights view; the comparison table at the end.
 */
public final class OptimizeViewModel {
    private static final io.laem.engine.optimize.OptimizeSettings DEFAULTS = new io.laem.engine.optimize.OptimizeSettings();
    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    /** The search space and budget start as {@code laem optimize}'s (what won on the demo kit, docs/optimizer.md). */
    private final ObjectProperty<Parameterization.Kind> parameterization =
            new SimpleObjectProperty<>(this, "parameterization", DEFAULTS.param().kind());
    private final IntegerProperty controlPoints = new SimpleIntegerProperty(this, "controlPoints", 2);
    private final IntegerProperty budget = new SimpleIntegerProperty(this, "budget", DEFAULTS.budget());
    private final LongProperty seed = new SimpleLongProperty(this, "seed", 42);
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "Not run yet.");
    private final ObservableList<Optimization.Event> events = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<Optimization.Comparison> comparison = new ReadOnlyObjectWrapper<>(this, "comparison");
    private final ReadOnlyObjectWrapper<MergeWeights> best = new ReadOnlyObjectWrapper<>(this, "best");
    /** The task balance: each task's weight in the objective, one per task of the session (1 = plain mean). */
    private final ObservableList<TaskWeight> taskWeights = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<java.util.List<Optimization.TaskTradeOff>> tradeOff =
            new ReadOnlyObjectWrapper<>(this, "tradeOff", java.util.List.of());
    private Task<?> task;
    private io.laem.app.core.MergeSettings.Values bestSettings;

    public OptimizeViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        syncTaskWeights();
        workspace.tasks().addListener((javafx.collections.ListChangeListener<io.laem.app.core.TaskEntry>) c -> syncTaskWeights());
        comparison.addListener((o, a, b) -> tradeOff.set(tradeOffOf(b, workspace.tasks().stream().map(io.laem.app.core.TaskEntry::name).toList())));
    }

    /** A task's weight in the objective's mean (>= 0; 0 leaves the task out). */
    public static final class TaskWeight {
        private final String task;
        private final javafx.beans.property.DoubleProperty weight;

        TaskWeight(String task, double weight) {
            this.task = task;
            this.weight = new javafx.beans.property.SimpleDoubleProperty(this, "weight", weight);
            this.weight.addListener((o, a, b) -> {
                if (!(b.doubleValue() >= 0) || Double.isInfinite(b.doubleValue())) {
                    this.weight.set(a.doubleValue()); // a weight is a finite number >= 0
                }
            });
        }

        public String task() {
            return task;
        }

        public javafx.beans.property.DoubleProperty weightProperty() {
            return weight;
        }
    }

    /** The session's tasks with their weights, in session order (kept when a task stays, 1 for a new one). */
    public ObservableList<TaskWeight> taskWeights() {
        return taskWeights;
    }

    private void syncTaskWeights() {
        java.util.Map<String, Double> old = new java.util.HashMap<>();
        taskWeights.forEach(t -> old.put(t.task(), t.weightProperty().get()));
        taskWeights.setAll(workspace.tasks().stream().map(t -> new TaskWeight(t.name(), old.getOrDefault(t.name(), 1.0))).toList());
    }

    /** The weights a run uses: only those that differ from 1. */
    java.util.Map<String, Double> taskWeightMap() {
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        taskWeights.forEach(t -> {
            if (t.weightProperty().get() != 1.0) {
                out.put(t.task(), t.weightProperty().get());
            }
        });
        return out;
    }

    /** Each task's trade-off in the last comparison (empty before one). */
    public ReadOnlyObjectProperty<java.util.List<Optimization.TaskTradeOff>> tradeOffProperty() {
        return tradeOff.getReadOnlyProperty();
    }

    /**
     * Per task: the found merge (the comparison's last row, LAEM or the current weights) against the
     * adapter of the task's name, on the task's first column (exact match on the test split; NLL on validation).
     */
    static java.util.List<Optimization.TaskTradeOff> tradeOffOf(Optimization.Comparison c, java.util.List<String> taskNames) {
        if (c == null || c.methods().isEmpty()) {
            return java.util.List.of();
        }
        int merged = c.methods().size() - 1;
        java.util.List<Optimization.TaskTradeOff> out = new java.util.ArrayList<>();
        for (String t : taskNames) {
            int col = -1;
            for (int i = 0; i < c.tasks().size() && col < 0; i++) {
                String name = c.tasks().get(i);
                if (name.equals(t) || name.startsWith(t + " ")) {
                    col = i;
                }
            }
            if (col < 0) {
                continue;
            }
            int own = c.methods().indexOf(t);
            out.add(new Optimization.TaskTradeOff(t, c.values()[merged][col], own < 0 ? Double.NaN : c.values()[own][col]));
        }
        return java.util.List.copyOf(out);
    }

    /** The search space; a curve has {@link #controlPointsProperty()} points per series. */
    public ObjectProperty<Parameterization.Kind> parameterizationProperty() {
        return parameterization;
    }

    public IntegerProperty controlPointsProperty() {
        return controlPoints;
    }

    public IntegerProperty budgetProperty() {
        return budget;
    }

    public LongProperty seedProperty() {
        return seed;
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty summaryProperty() {
        return summary.getReadOnlyProperty();
    }

    /** Every evaluation of the current run, in order. */
    public ObservableList<Optimization.Event> events() {
        return events;
    }

    public ReadOnlyObjectProperty<Optimization.Comparison> comparisonProperty() {
        return comparison.getReadOnlyProperty();
    }

    /** Run > Optimize / Start. Warm-starts from the current weights; the table shows per-layer values. */
    public void start() {
        if (running.get()) {
            return;
        }
        events.clear();
        comparison.set(null);
        best.set(null);
        bestSettings = null;
        var s = workspace.snapshot();
        var settings = new Optimization.Settings(spec(), budget.get(), seed.get(), 0.0, taskWeightMap());
        running.set(true);
        summary.set("Running: budget " + settings.budget() + " evaluations...");
        task = tasks.run("Optimizing", p -> backend.optimize(s, settings, e -> Platform.runLater(() -> onEvent(e)), new Progress() {
                    // the run waits while another job (a generation) holds the model, and says so
                    @Override
                    public void update(double done, double total, String msg) {
                        p.update(done, total, msg);
                        if (msg != null && msg.startsWith("waiting for")) {
                            String m = "Waiting: " + msg.substring("waiting for ".length()) + " holds the model; the run starts after it.";
                            Platform.runLater(() -> summary.set(m));
                        } else if (msg != null && events.isEmpty()) {
                            Platform.runLater(() -> {
                                if (summary.get().startsWith("Waiting")) {
                                    summary.set("Running: budget " + settings.budget() + " evaluations...");
                                }
                            });
                        }
                    }

                    @Override
                    public boolean isCancelled() {
                        return p.isCancelled();
                    }
                }),
                outcome -> {
                    best.set(outcome.bestWeights());
                    bestSettings = outcome.settings();
                    comparison.set(outcome.comparison());
                    summary.set(String.format("Done: best objective %.4f after %d evaluations.", outcome.best(), outcome.evaluations()));
                    apply();
                },
                () -> {
                    running.set(false);
                    if (task != null && task.getState() == javafx.concurrent.Worker.State.FAILED) {
                        summary.set("Failed: " + io.laem.app.core.Errors.message(task.getException()));
                    } else if (summary.get().startsWith("Running") || summary.get().startsWith("Waiting")) {
                        summary.set(events.isEmpty() ? "Stopped." : String.format("Stopped after %d evaluations; best %.4f kept.",
                                events.size(), events.get(events.size() - 1).best()));
                    }
                });
    }

    /** The parameterization chosen, with its control points when it is a curve. */
    Parameterization.Spec spec() {
        return parameterization.get() == Parameterization.Kind.CURVE ? Parameterization.Spec.curve(controlPoints.get())
                : Parameterization.Spec.of(parameterization.get());
    }

    private void onEvent(Optimization.Event e) {
        if (!running.get()) {
            return;
        }
        boolean improved = events.isEmpty() || e.best() < events.get(events.size() - 1).best();
        events.add(e);
        if (improved && e.bestWeights() != null && fits(e.bestWeights())) {
            best.set(e.bestWeights());
            workspace.weights().show(e.bestWeights(), true); // the run's best weights animate as per-layer curves
        }
    }

    private boolean fits(MergeWeights w) {
        return w.numLayers() == workspace.weights().numLayers();
    }

    /** Stop: the best weights so far stay. */
    public void stop() {
        if (task != null) {
            task.cancel(true);
        }
    }

    /** Apply: the run's best weights (and the merge plan they belong to) become the current ones. */
    public void apply() {
        MergeWeights b = best.get();
        if (bestSettings != null) {
            workspace.settings().set(bestSettings);
        }
        if (b != null && fits(b)) {
            workspace.weights().show(b, false);
            workspace.addHistory(io.laem.engine.session.HistoryEntry.Source.OPTIMIZER, "optimizer best");
        }
    }

    /** Run > Evaluate: the base, the tuned baselines, each adapter and the current merge on every task. */
    public void evaluate() {
        var s = workspace.snapshot();
        tasks.run("Evaluating", p -> backend.evaluate(s, p), comparison::set);
    }
}
