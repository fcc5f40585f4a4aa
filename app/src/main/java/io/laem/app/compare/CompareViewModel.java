package io.laem.app.compare;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.DialogService;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import io.laem.app.core.TaskEntry;
import io.laem.app.core.Workspace;
import io.laem.app.export.ExportViewModel;
import io.laem.engine.LaemException;
import io.laem.engine.compare.Cell;
import io.laem.engine.compare.Columns;
import io.laem.engine.compare.GridHtml;
import io.laem.engine.compare.GridResult;
import io.laem.engine.compare.GridRunner;
import io.laem.engine.compare.GridSpec;
import io.laem.engine.compare.Sweep;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.session.HistoryEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Task;

/**
 * The comparison grid (the XY plot of merge tools): rows are prompts (typed, and/or the first examples of
 * chosen tasks' test split with their references), columns are merges (the base, the current merge, each
 * adapter alone, MoA, merges kept in the history, a sweep of one weight). Run fills the cells in the background as they stream,
 * Stop ends within the cell being generated; the sheet exports as HTML (the engine's) or PNG (the view's
 * snapshot). State only: the view draws it.
 */
public final class CompareViewModel {
    /** Something the user can tick: a task to draw rows from, or a merge to compare. */
    public static final class Choice {
        public enum Kind { TASK, BASE, CURRENT, ADAPTER, MOA, HISTORY }

        private final Kind kind;
        private final String name;
        private final String label;
        private final BooleanProperty selected;

        Choice(Kind kind, String name, boolean selected) {
            this(kind, name, kind == Kind.ADAPTER ? name + " alone" : name, selected);
        }

        Choice(Kind kind, String name, String label, boolean selected) {
            this.kind = kind;
            this.name = name;
            this.label = label;
            this.selected = new SimpleBooleanProperty(this, "selected", selected);
        }

        public Kind kind() {
            return kind;
        }

        /** The task's or adapter's name, {@code #N} for history entry N; for the other merges, their column label. */
        public String name() {
            return name;
        }

        public String label() {
            return label;
        }

        public BooleanProperty selectedProperty() {
            return selected;
        }

        public boolean isSelected() {
            return selected.get();
        }
    }

    /** A cell as the view shows it: its text so far, its check mark, and where it stands. */
    public static final class CellView {
        public enum State { WAITING, RUNNING, DONE, STOPPED }

        private final ReadOnlyStringWrapper text = new ReadOnlyStringWrapper(this, "text", "");
        private final ReadOnlyObjectWrapper<Cell.Check> check = new ReadOnlyObjectWrapper<>(this, "check", Cell.Check.NONE);
        private final ReadOnlyStringWrapper note = new ReadOnlyStringWrapper(this, "note", "");
        private final ReadOnlyObjectWrapper<State> state = new ReadOnlyObjectWrapper<>(this, "state", State.WAITING);

        public ReadOnlyStringProperty textProperty() {
            return text.getReadOnlyProperty();
        }

        public ReadOnlyObjectProperty<Cell.Check> checkProperty() {
            return check.getReadOnlyProperty();
        }

        public ReadOnlyStringProperty noteProperty() {
            return note.getReadOnlyProperty();
        }

        public ReadOnlyObjectProperty<State> stateProperty() {
            return state.getReadOnlyProperty();
        }
    }

    /** The grid being shown: its rows and columns, and a cell view per (row, column). */
    public record Sheet(GridSpec spec, List<List<CellView>> cells) {
        public CellView cell(int row, int column) {
            return cells.get(row).get(column);
        }
    }

    public static final int DEFAULT_EXAMPLES = 3;

    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final DialogService dialogs;
    private final StringProperty prompts = new SimpleStringProperty(this, "prompts", "");
    private final IntegerProperty examplesPerTask = new SimpleIntegerProperty(this, "examplesPerTask", DEFAULT_EXAMPLES);
    private final ObservableList<Choice> taskChoices = FXCollections.observableArrayList();
    private final ObservableList<Choice> columnChoices = FXCollections.observableArrayList();
    private final StringProperty sweep = new SimpleStringProperty(this, "sweep", "");
    private final IntegerProperty maxTokens = new SimpleIntegerProperty(this, "maxTokens", 24);
    private final ReadOnlyObjectWrapper<Sheet> sheet = new ReadOnlyObjectWrapper<>(this, "sheet");
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private GridResult result;
    private Task<?> task;
    private Supplier<byte[]> snapshot = () -> {
        throw new IllegalStateException("no view to take a picture of");
    };

    public CompareViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks, DialogService dialogs) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        this.dialogs = dialogs;
        workspace.adapters().addListener((javafx.beans.Observable o) -> rebuildChoices());
        workspace.tasks().addListener((javafx.beans.Observable o) -> rebuildChoices());
        workspace.history().addListener((javafx.beans.Observable o) -> rebuildChoices());
        rebuildChoices();
    }

    /** Typed prompts, one per line (rows without a reference). */
    public StringProperty promptsProperty() {
        return prompts;
    }

    /** Rows drawn from each ticked task: its first N test examples (validation when it has no test split). */
    public IntegerProperty examplesPerTaskProperty() {
        return examplesPerTask;
    }

    public ObservableList<Choice> taskChoices() {
        return taskChoices;
    }

    public ObservableList<Choice> columnChoices() {
        return columnChoices;
    }

    /** A sweep, {@code ADAPTER[@FROM[-TO]][:attn|:mlp]=V1,V2,...} (empty: none): one column per value. */
    public StringProperty sweepProperty() {
        return sweep;
    }

    public IntegerProperty maxTokensProperty() {
        return maxTokens;
    }

    /** The grid on screen (null before the first run). */
    public ReadOnlyObjectProperty<Sheet> sheetProperty() {
        return sheet.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    /** Cells filled over cells, 0..1. */
    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    /** A line about the run: cells filled, matches, stopped, what went wrong. */
    public ReadOnlyStringProperty statusProperty() {
        return status.getReadOnlyProperty();
    }

    /** Where {@link #exportPng()} gets its picture: the view's grid as PNG bytes, taken on the FX thread. */
    public void setSnapshotSource(Supplier<byte[]> source) {
        this.snapshot = source;
    }

    private void rebuildChoices() {
        List<Choice> ts = new ArrayList<>();
        for (TaskEntry t : workspace.tasks()) {
            ts.add(new Choice(Choice.Kind.TASK, t.name(), keep(taskChoices, Choice.Kind.TASK, t.name(), true)));
        }
        if (!sameNames(taskChoices, ts)) {
            taskChoices.setAll(ts);
        }
        List<Choice> cs = new ArrayList<>();
        cs.add(new Choice(Choice.Kind.BASE, Columns.BASE, keep(columnChoices, Choice.Kind.BASE, Columns.BASE, true)));
        for (AdapterEntry a : workspace.adapters()) {
            if (a.isEnabled()) {
                cs.add(new Choice(Choice.Kind.ADAPTER, a.name(), keep(columnChoices, Choice.Kind.ADAPTER, a.name(), true)));
            }
        }
        cs.add(new Choice(Choice.Kind.CURRENT, Columns.CURRENT, keep(columnChoices, Choice.Kind.CURRENT, Columns.CURRENT, true)));
        if (moaPossible()) {
            cs.add(new Choice(Choice.Kind.MOA, Columns.MOA, keep(columnChoices, Choice.Kind.MOA, Columns.MOA, false)));
        }
        for (HistoryEntry e : workspace.history()) { // off until ticked: the history may be long
            String name = "#" + e.number();
            cs.add(new Choice(Choice.Kind.HISTORY, name, Columns.history(e.number(), e.label(), e.recipe()).label(),
                    keep(columnChoices, Choice.Kind.HISTORY, name, false)));
        }
        if (!sameNames(columnChoices, cs)) {
            columnChoices.setAll(cs);
        }
    }

    /** A choice keeps its tick when the list is rebuilt. */
    private static boolean keep(List<Choice> old, Choice.Kind kind, String name, boolean otherwise) {
        return old.stream().filter(c -> c.kind() == kind && c.name().equals(name)).findFirst().map(Choice::isSelected).orElse(otherwise);
    }

    private static boolean sameNames(List<Choice> a, List<Choice> b) {
        return a.stream().map(c -> c.kind() + "/" + c.label()).toList().equals(b.stream().map(c -> c.kind() + "/" + c.label()).toList());
    }

    /** MoA needs an adapter for every task (the same names): the router's labels are the tasks. */
    private boolean moaPossible() {
        var names = workspace.adapters().stream().filter(AdapterEntry::isEnabled).map(AdapterEntry::name).toList();
        return workspace.tasks().size() > 1 && workspace.tasks().stream().allMatch(t -> names.contains(t.name()));
    }

    /** Starts filling a new grid; a problem with the choices is said in the status line (and nothing runs). */
    public void run() {
        if (running.get()) {
            return;
        }
        SessionData s = workspace.snapshot();
        List<GridSpec.Column> columns;
        List<GridSpec.Row> typed = typedRows();
        List<TaskEntry> drawFrom = new ArrayList<>();
        for (Choice c : taskChoices) {
            if (c.isSelected() && examplesPerTask.get() > 0) {
                workspace.tasks().stream().filter(t -> t.name().equals(c.name())).findFirst().ifPresent(drawFrom::add);
            }
        }
        try {
            columns = columns(s);
            if (typed.isEmpty() && drawFrom.isEmpty()) {
                throw new LaemException("no prompts: type some (one per line) or tick a task to draw examples from");
            }
        } catch (LaemException e) {
            status.set(e.getMessage());
            return;
        }
        int n = examplesPerTask.get();
        int max = maxTokens.get();
        running.set(true);
        progress.set(0);
        result = null; // a run that fails before its first cell leaves no grid to report on
        status.set("reading the prompts");
        task = tasks.run("Comparison grid", p -> {
            List<GridSpec.Row> rows = new ArrayList<>(typed);
            for (TaskEntry t : drawFrom) {
                List<Scorer.Example> ex = ScoreData.readJsonl(testSplit(t.file()));
                for (int i = 0; i < Math.min(n, ex.size()); i++) {
                    rows.add(GridSpec.Row.example(t.name(), i, ex.get(i)));
                }
            }
            GridSpec spec = new GridSpec(rows, columns, max);
            Sheet sh = newSheet(spec);
            Platform.runLater(() -> {
                result = new GridResult(spec);
                sheet.set(sh);
                status.set("0 of " + spec.cells() + " cells");
            });
            // while another job (the optimizer run) holds the model, the status line says so
            Progress waiting = new Progress() {
                @Override
                public void update(double done, double total, String msg) {
                    p.update(done, total, msg);
                    if (msg != null && msg.startsWith("waiting for")) {
                        Platform.runLater(() -> status.set(msg));
                    }
                }

                @Override
                public boolean isCancelled() {
                    return p.isCancelled();
                }
            };
            return backend.compare(s, spec, new GridRunner.Listener() {
                @Override
                public void started(int row, int column) {
                    Platform.runLater(() -> sh.cell(row, column).state.set(CellView.State.RUNNING));
                }

                @Override
                public void token(int row, int column, String text) {
                    if (!text.isEmpty()) {
                        Platform.runLater(() -> sh.cell(row, column).text.set(sh.cell(row, column).text.get() + text));
                    }
                }

                @Override
                public void cell(Cell cell) {
                    Platform.runLater(() -> filled(sh, cell));
                }
            }, waiting);
        }, g -> {}, () -> {
            running.set(false);
            Sheet sh = sheet.get();
            if (sh != null && result != null && !result.complete()) {
                for (List<CellView> row : sh.cells()) {
                    for (CellView c : row) {
                        if (c.state.get() != CellView.State.DONE) {
                            c.state.set(CellView.State.STOPPED);
                        }
                    }
                }
                status.set("stopped: " + summary());
            } else if (result != null) {
                status.set("done: " + summary());
            } else {
                status.set("");
            }
        });
    }

    private void filled(Sheet sh, Cell cell) {
        if (sheet.get() != sh) {
            return;
        }
        result.put(cell);
        CellView v = sh.cell(cell.row(), cell.column());
        v.text.set(cell.text());
        v.check.set(cell.check());
        v.note.set(cell.note());
        v.state.set(CellView.State.DONE);
        progress.set(result.filled() / (double) result.spec().cells());
        // a cell the runner finished as Stop was pressed can arrive after the run ended: keep its "stopped:"
        status.set(running.get() ? summary() : (result.complete() ? "done: " : "stopped: ") + summary());
    }

    /** "N of M cells", then each column's matches where rows have references. */
    private String summary() {
        StringBuilder b = new StringBuilder().append(result.filled()).append(" of ").append(result.spec().cells()).append(" cells");
        List<String> m = new ArrayList<>();
        for (int c = 0; c < result.spec().columns().size(); c++) {
            int[] x = result.matches(c);
            if (x[1] > 0) {
                m.add(String.format(Locale.ROOT, "%s %d/%d", result.spec().columns().get(c).label(), x[0], x[1]));
            }
        }
        return m.isEmpty() ? b.toString() : b.append("; exact: ").append(String.join(", ", m)).toString();
    }

    private static Sheet newSheet(GridSpec spec) {
        List<List<CellView>> cells = new ArrayList<>();
        for (int r = 0; r < spec.rows().size(); r++) {
            List<CellView> row = new ArrayList<>();
            for (int c = 0; c < spec.columns().size(); c++) {
                row.add(new CellView());
            }
            cells.add(List.copyOf(row));
        }
        return new Sheet(spec, List.copyOf(cells));
    }

    private List<GridSpec.Row> typedRows() {
        List<GridSpec.Row> rows = new ArrayList<>();
        for (String line : prompts.get().split("\n")) {
            if (!line.isBlank()) {
                rows.add(GridSpec.Row.typed(rows.size(), line));
            }
        }
        return rows;
    }

    /** The engine's columns for the ticked merges, then the sweep's. */
    List<GridSpec.Column> columns(SessionData s) {
        if (s.base() == null) {
            throw new LaemException("no base model open (File > Open Base Model...)");
        }
        if (s.enabledAdapters().isEmpty()) {
            throw new LaemException("no enabled adapter to compare");
        }
        Recipe r = s.toRecipe(true, null);
        int layers = workspace.numLayers();
        List<GridSpec.Column> out = new ArrayList<>();
        for (Choice c : columnChoices) {
            if (!c.isSelected()) {
                continue;
            }
            switch (c.kind()) {
                case BASE -> out.add(Columns.base());
                case CURRENT -> out.add(Columns.current(r));
                case ADAPTER -> out.add(Columns.adapter(r, c.name(), layers));
                case MOA -> out.add(Columns.moa());
                case HISTORY -> {
                    HistoryEntry e = workspace.history().stream().filter(h -> ("#" + h.number()).equals(c.name())).findFirst()
                            .orElseThrow(() -> new LaemException("history entry " + c.name() + " is gone"));
                    out.add(Columns.history(e.number(), e.label(), e.recipe()));
                }
                case TASK -> throw new IllegalStateException("a task is not a column");
            }
        }
        if (!sweep.get().isBlank()) {
            out.addAll(Columns.sweep(r, Sweep.parse(sweep.get().trim()), layers));
        }
        if (out.isEmpty()) {
            throw new LaemException("no merges to compare: tick some or give a sweep");
        }
        return out;
    }

    /** A task's test split next to its validation file (the demo kit's layout), else the file itself. */
    static Path testSplit(Path validation) {
        Path test = validation.resolveSibling(validation.getFileName().toString().replace("validation", "test"));
        return !test.equals(validation) && Files.isRegularFile(test) ? test : validation;
    }

    /** Stops the run within the cell being generated; the filled cells stay. */
    public void stop() {
        if (task != null) {
            task.cancel(true);
        }
    }

    /** The sheet as self-contained HTML (the cells filled so far). */
    public void exportHtml() {
        if (result == null) {
            return;
        }
        dialogs.saveFile("Export comparison grid (HTML)", "comparison-grid.html", new DialogService.Filter("HTML", "*.html"))
                .ifPresent(this::exportHtml);
    }

    public void exportHtml(Path file) {
        GridResult g = result;
        SessionData s = workspace.snapshot();
        String subtitle = "Base " + s.base() + (workspace.fileProperty().get() == null ? "" : ", session " + workspace.fileProperty().get());
        String html = GridHtml.render(g, subtitle);
        ExportViewModel.allowed(dialogs, "Export", OutputTarget.file(file), s).ifPresent(target ->
                tasks.run("Writing the grid", p -> {
                    target.write(tmp -> Files.writeString(tmp, html));
                    return file;
                }, f -> status.set("grid written to " + f)));
    }

    /** The sheet as the view draws it, as PNG. */
    public void exportPng() {
        if (result == null) {
            return;
        }
        dialogs.saveFile("Export comparison grid (PNG)", "comparison-grid.png", new DialogService.Filter("PNG image", "*.png"))
                .ifPresent(this::exportPng);
    }

    public void exportPng(Path file) {
        byte[] png = snapshot.get();
        ExportViewModel.allowed(dialogs, "Export", OutputTarget.file(file), workspace.snapshot()).ifPresent(target ->
                tasks.run("Writing the grid", p -> {
                    target.write(tmp -> Files.write(tmp, png));
                    return file;
                }, f -> status.set("grid written to " + f)));
    }

    /** The grid's cells so far (for export and tests). */
    public GridResult result() {
        return result;
    }
}
