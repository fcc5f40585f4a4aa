package io.laem.app.playground;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Generation;
import io.laem.app.core.Progress;
import io.laem.app.core.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Task;

/**
 * The playground: one prompt, answered side by side by the base, each enabled adapter and the
 * current merge, with tokens streaming in and tokens/s per column.
 */
public final class PlaygroundViewModel {
    /** One answer column. */
    public static final class Column {
        private final Generation.Variant variant;
        private final ReadOnlyStringWrapper text = new ReadOnlyStringWrapper(this, "text", "");
        private final ReadOnlyStringWrapper stats = new ReadOnlyStringWrapper(this, "stats", "");

        Column(Generation.Variant variant) {
            this.variant = variant;
        }

        public Generation.Variant variant() {
            return variant;
        }

        public String title() {
            return variant.label();
        }

        public ReadOnlyStringProperty textProperty() {
            return text.getReadOnlyProperty();
        }

        public ReadOnlyStringProperty statsProperty() {
            return stats.getReadOnlyProperty();
        }
    }

    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final StringProperty prompt = new SimpleStringProperty(this, "prompt", "");
    private final BooleanProperty sample = new SimpleBooleanProperty(this, "sample");
    private final DoubleProperty temperature = new SimpleDoubleProperty(this, "temperature", 0.8);
    private final DoubleProperty topP = new SimpleDoubleProperty(this, "topP", 0.95);
    private final LongProperty seed = new SimpleLongProperty(this, "seed", 42);
    private final IntegerProperty maxTokens = new SimpleIntegerProperty(this, "maxTokens", 48);
    private final BooleanProperty chat = new SimpleBooleanProperty(this, "chat");
    private final BooleanProperty showPrompt = new SimpleBooleanProperty(this, "showPrompt");
    private final ReadOnlyStringWrapper sentPrompt = new ReadOnlyStringWrapper(this, "sentPrompt", "");
    private final ObservableList<Column> columns = FXCollections.observableArrayList();
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final BooleanProperty busy = new SimpleBooleanProperty(this, "busy");
    private final ReadOnlyStringWrapper notice = new ReadOnlyStringWrapper(this, "notice", "");
    private Task<?> task;

    public PlaygroundViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        busy.addListener((o, a, b) -> notice.set(b ? BUSY : ""));
        workspace.adapters().addListener((javafx.beans.Observable o) -> rebuildColumns());
        workspace.tasks().addListener((javafx.beans.Observable o) -> rebuildColumns());
        rebuildColumns();
    }

    public StringProperty promptProperty() {
        return prompt;
    }

    public BooleanProperty sampleProperty() {
        return sample;
    }

    public DoubleProperty temperatureProperty() {
        return temperature;
    }

    public DoubleProperty topPProperty() {
        return topP;
    }

    public LongProperty seedProperty() {
        return seed;
    }

    public IntegerProperty maxTokensProperty() {
        return maxTokens;
    }

    public BooleanProperty chatProperty() {
        return chat;
    }

    /** Whether the view shows {@link #sentPromptProperty()}. */
    public BooleanProperty showPromptProperty() {
        return showPrompt;
    }

    /** What the model was last sent: the prompt text (the rendered chat template with chat on) and its token ids. */
    public ReadOnlyStringProperty sentPromptProperty() {
        return sentPrompt.getReadOnlyProperty();
    }

    public ObservableList<Column> columns() {
        return columns;
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    static final String BUSY = "The optimizer run holds the model: answers wait until it ends (Stop in the Optimize view ends it now).";

    /** True while another job (the optimizer run) holds the one loaded model. */
    public BooleanProperty busyProperty() {
        return busy;
    }

    /** What the playground says about the model being busy (empty when it is free). */
    public ReadOnlyStringProperty noticeProperty() {
        return notice.getReadOnlyProperty();
    }

    private void rebuildColumns() {
        if (running.get()) {
            return;
        }
        List<Column> cs = new ArrayList<>();
        cs.add(new Column(Generation.Variant.base()));
        for (AdapterEntry a : workspace.adapters()) {
            if (a.isEnabled()) {
                cs.add(new Column(Generation.Variant.adapter(a.name())));
            }
        }
        cs.add(new Column(Generation.Variant.merge()));
        if (moaPossible()) {
            cs.add(new Column(Generation.Variant.moa()));
        }
        if (!sameVariants(cs)) {
            columns.setAll(cs);
        }
    }

    /** MoA needs an adapter for every task (the same names): the router's labels are the tasks. */
    private boolean moaPossible() {
        var names = workspace.adapters().stream().filter(AdapterEntry::isEnabled).map(AdapterEntry::name).toList();
        return workspace.tasks().size() > 1 && workspace.tasks().stream().allMatch(t -> names.contains(t.name()));
    }

    private boolean sameVariants(List<Column> cs) {
        if (cs.size() != columns.size()) {
            return false;
        }
        for (int i = 0; i < cs.size(); i++) {
            if (!cs.get(i).variant().equals(columns.get(i).variant())) {
                return false;
            }
        }
        return true;
    }

    /** Generates in every column, one after the other (they share one model). */
    public void generate() {
        if (running.get() || prompt.get().isBlank()) {
            return;
        }
        rebuildColumns();
        var s = workspace.snapshot();
        var settings = new Generation.Settings(maxTokens.get(), sample.get(), temperature.get(), topP.get(), seed.get(), chat.get());
        String text = prompt.get();
        List<Column> cs = List.copyOf(columns);
        for (Column c : cs) {
            c.text.set("");
            c.stats.set("waiting");
        }
        running.set(true);
        task = tasks.run("Generating", p -> {
            for (int i = 0; i < cs.size() && !p.isCancelled(); i++) {
                Column c = cs.get(i);
                p.update(i, cs.size(), c.title());
                Platform.runLater(() -> c.stats.set("generating..."));
                // a column waiting for the model says for what
                Progress cp = new Progress() {
                    @Override
                    public void update(double done, double total, String msg) {
                        p.update(done, total, msg);
                        if (msg != null && msg.startsWith("waiting for")) {
                            Platform.runLater(() -> c.stats.set(msg));
                        } else if (msg != null && msg.startsWith("generating")) {
                            Platform.runLater(() -> c.stats.set("generating..."));
                        }
                    }

                    @Override
                    public boolean isCancelled() {
                        return p.isCancelled();
                    }
                };
                Generation.Stats st = backend.generate(s, c.variant(), text, settings,
                        tok -> Platform.runLater(() -> c.text.set(c.text.get() + tok)), cp);
                Platform.runLater(() -> sentPrompt.set(st.prompt()));
                Platform.runLater(() -> c.stats.set((st.note().isEmpty() ? "" : st.note() + "\n")
                        + String.format(Locale.ROOT, "%d tokens, %.1f tokens/s", st.tokens(), st.tokensPerSecond())));
            }
            return null;
        }, x -> {}, () -> {
            running.set(false);
            for (Column c : cs) {
                if (c.stats.get().equals("waiting") || c.stats.get().equals("generating...") || c.stats.get().startsWith("waiting for")) {
                    c.stats.set("stopped");
                }
            }
        });
    }

    public void stop() {
        if (task != null) {
            task.cancel(true);
        }
    }
}
