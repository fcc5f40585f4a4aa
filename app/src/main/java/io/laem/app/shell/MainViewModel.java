package io.laem.app.shell;

import io.laem.app.core.AppPreferences;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.BaseModelInfo;
import io.laem.app.core.DialogService;
import io.laem.app.core.Errors;
import io.laem.app.core.SessionData;
import io.laem.app.core.TaskEntry;
import io.laem.app.core.WeightTable;
import io.laem.app.core.Workspace;
import io.laem.app.export.ExportViewModel;
import io.laem.app.layers.LayersViewModel;
import io.laem.app.optimize.OptimizeViewModel;
import io.laem.app.playground.PlaygroundViewModel;
import io.laem.app.session.SessionViewModel;
import io.laem.app.weights.WeightsViewModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The main window's state and its menu commands: session files, recent sessions, undo/redo and
 * presets of the weights, stop, and the view models of the views.
 */
public final class MainViewModel implements AutoCloseable {
    public static final DialogService.Filter SESSION = new DialogService.Filter("LAEM session (YAML)", "*.yaml", "*.yml");

    /** A session read from disk with everything it refers to. */
    record Opened(SessionData data, BaseModelInfo base, List<Backend.AdapterInfo> adapters, List<TaskEntry> tasks, Path file) {}

    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final DialogService dialogs;
    private final AppPreferences prefs;
    private final ObservableList<Path> recent = FXCollections.observableArrayList();
    private final StringBinding title;
    private final SessionViewModel session;
    private final LayersViewModel layers;
    private final WeightsViewModel weights;
    private final OptimizeViewModel optimize;
    private final PlaygroundViewModel playground;
    private final ExportViewModel export;

    public MainViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks, DialogService dialogs, AppPreferences prefs) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.prefs = prefs;
        tasks.setErrorHandler(m -> dialogs.showError("LAEM Workbench", m));
        session = new SessionViewModel(workspace, backend, tasks, dialogs);
        layers = new LayersViewModel(workspace, backend, tasks);
        weights = new WeightsViewModel(workspace, backend, tasks);
        weights.setErrorHandler(m -> dialogs.showError("LAEM Workbench", m));
        optimize = new OptimizeViewModel(workspace, backend, tasks);
        playground = new PlaygroundViewModel(workspace, backend, tasks);
        export = new ExportViewModel(workspace, backend, tasks, dialogs);
        recent.setAll(prefs.recent());
        // another base model: jobs on the old one stop (it is freed once they let go of it)
        workspace.baseProperty().addListener((o, a, b) -> tasks.cancelAll());
        playground.busyProperty().bind(optimize.runningProperty());
        title = Bindings.createStringBinding(() -> {
            Path f = workspace.fileProperty().get();
            String name = f == null ? "untitled" : f.getFileName().toString();
            return (workspace.isDirty() ? "*" : "") + name + " - LAEM Workbench";
        }, workspace.fileProperty(), workspace.dirtyProperty());
        workspace.resetWeights();
    }

    public Workspace workspace() {
        return workspace;
    }

    public BackgroundTasks tasks() {
        return tasks;
    }

    public AppPreferences prefs() {
        return prefs;
    }

    public SessionViewModel session() {
        return session;
    }

    public LayersViewModel layers() {
        return layers;
    }

    public WeightsViewModel weights() {
        return weights;
    }

    public OptimizeViewModel optimize() {
        return optimize;
    }

    public PlaygroundViewModel playground() {
        return playground;
    }

    public ExportViewModel export() {
        return export;
    }

    public StringBinding titleProperty() {
        return title;
    }

    public ObservableList<Path> recent() {
        return recent;
    }

    // ---- File

    public void newSession() {
        if (confirmDiscard("start a new session")) {
            workspace.clear();
        }
    }

    public void openSession() {
        if (confirmDiscard("open another session")) {
            dialogs.openFile("Open session", SESSION).ifPresent(p -> openSession(p, x -> {}));
        }
    }

    public void openRecent(Path p) {
        if (confirmDiscard("open another session")) {
            openSession(p, x -> {});
        }
    }

    /** Reads a session and everything it refers to in the background, then shows it. */
    public void openSession(Path file, Consumer<Path> done) {
        tasks.run("Opening session", p -> {
            SessionData d = backend.readSession(file);
            p.update(0, 1 + d.adapters().size() + d.tasks().size(), "base model");
            BaseModelInfo base = d.base() == null ? null : backend.openBase(d.base());
            List<Backend.AdapterInfo> as = new ArrayList<>();
            for (SessionData.AdapterRef a : d.adapters()) {
                p.update(1 + as.size(), 1 + d.adapters().size() + d.tasks().size(), a.name());
                Backend.AdapterInfo info = backend.openAdapter(a.dir(), base);
                as.add(new Backend.AdapterInfo(a.name(), info.dir(), info.rank(), info.scale(), info.modules()));
            }
            List<TaskEntry> ts = new ArrayList<>();
            for (SessionData.TaskRef t : d.tasks()) {
                TaskEntry e = backend.openTaskData(t.file());
                ts.add(new TaskEntry(t.name(), e.file(), e.examples()));
            }
            return new Opened(d, base, as, ts, file);
        }, o -> {
            workspace.load(o.data(), o.base(), o.adapters(), o.tasks(), o.file());
            addRecent(o.file());
            if (o.base() != null && !o.adapters().isEmpty()) {
                layers().analyze(); // the heatmaps fill in the background, as DESIGN.md's data flow has it
            }
            done.accept(o.file());
        });
    }

    public void save() {
        Path f = workspace.fileProperty().get();
        if (f == null) {
            saveAs();
        } else {
            saveTo(f);
        }
    }

    public void saveAs() {
        dialogs.saveFile("Save session as", "session.yaml", SESSION).ifPresent(this::saveTo);
    }

    /** Writes the session YAML (small: written at once so that closing can rely on it). */
    public boolean saveTo(Path file) {
        try {
            backend.writeSession(file, workspace.snapshot());
            workspace.markSaved(file);
            addRecent(file);
            return true;
        } catch (RuntimeException e) {
            dialogs.showError("Save session", Errors.message(e));
            return false;
        }
    }

    private void addRecent(Path file) {
        prefs.addRecent(file);
        prefs.save();
        recent.setAll(prefs.recent());
    }

    /** True when there are no unsaved changes or the user saved or discarded them. */
    public boolean confirmDiscard(String what) {
        if (!workspace.isDirty()) {
            return true;
        }
        return switch (dialogs.askUnsaved(what)) {
            case SAVE -> {
                Path f = workspace.fileProperty().get();
                if (f == null) {
                    Optional<Path> to = dialogs.saveFile("Save session as", "session.yaml", SESSION);
                    yield to.isPresent() && saveTo(to.get());
                }
                yield saveTo(f);
            }
            case DISCARD -> true;
            case CANCEL -> false;
        };
    }

    /**
     * The session to open at start: the one named on the command line, else the last session if it
     * still exists, else the demo kit's recipe ({@code laem.home} / {@code LAEM_HOME} / working folder).
     */
    public Optional<Path> startupSession(Path explicit) {
        if (explicit != null) {
            return Optional.of(explicit);
        }
        for (Path p : prefs.recent()) {
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
            break;
        }
        return demoRecipe();
    }

    public static Optional<Path> demoRecipe() {
        List<String> homes = new ArrayList<>();
        if (System.getProperty("laem.home") != null) {
            homes.add(System.getProperty("laem.home"));
        }
        if (System.getenv("LAEM_HOME") != null) {
            homes.add(System.getenv("LAEM_HOME"));
        }
        homes.add(System.getProperty("user.dir"));
        for (String h : homes) {
            Path r = Path.of(h, "resources", "demo", "recipe.yaml");
            if (Files.isRegularFile(r)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    // ---- Edit

    public void undo() {
        workspace.weights().undo();
    }

    public void redo() {
        workspace.weights().redo();
    }

    public void resetWeights() {
        workspace.weights().applyPreset(WeightTable.Preset.UNIFORM);
    }

    public void preset(WeightTable.Preset p) {
        workspace.weights().applyPreset(p);
    }

    // ---- Run

    public void stop() {
        tasks.cancelAll();
    }

    /** Window closing: cancels running work without waiting for it, frees the model once unused, remembers the session. */
    @Override
    public void close() {
        tasks.close();
        weights.close();
        backend.close();
        prefs.save();
    }
}
