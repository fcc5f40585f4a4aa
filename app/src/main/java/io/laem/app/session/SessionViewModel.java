package io.laem.app.session;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.DialogService;
import io.laem.app.core.TaskEntry;
import io.laem.app.core.Workspace;
import java.nio.file.Path;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.collections.ObservableList;

/** The session panel: base model, adapters (enable, color, rank, scale) and task data sets. */
public final class SessionViewModel {
    public static final DialogService.Filter JSONL = new DialogService.Filter("Task data (JSONL)", "*.jsonl");

    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final DialogService dialogs;
    private final StringBinding baseDescription;

    public SessionViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks, DialogService dialogs) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        this.dialogs = dialogs;
        baseDescription = Bindings.createStringBinding(
                () -> workspace.base() == null ? "No base model (File > Open Base Model...)"
                        : workspace.base().dir().getFileName() + ": " + workspace.base().describe(),
                workspace.baseProperty());
    }

    public StringBinding baseDescriptionProperty() {
        return baseDescription;
    }

    public ObservableList<AdapterEntry> adapters() {
        return workspace.adapters();
    }

    public ObservableList<TaskEntry> taskData() {
        return workspace.tasks();
    }

    /** File > Open Base Model... */
    public void openBaseModel() {
        dialogs.openDirectory("Open base model folder (config.json + safetensors)").ifPresent(this::openBaseModel);
    }

    public void openBaseModel(Path dir) {
        tasks.run("Opening base model", p -> backend.openBase(dir), workspace::setBase);
    }

    /** File > Add Adapter... */
    public void addAdapter() {
        dialogs.openDirectory("Add a PEFT LoRA adapter folder").ifPresent(this::addAdapter);
    }

    public void addAdapter(Path dir) {
        var base = workspace.base();
        tasks.run("Reading adapter", p -> backend.openAdapter(dir, base), workspace::addAdapter);
    }

    public void removeAdapter(AdapterEntry a) {
        if (a != null) {
            workspace.removeAdapter(a);
        }
    }

    /** File > Add Task Data... */
    public void addTaskData() {
        dialogs.openFile("Add task data", JSONL).ifPresent(this::addTaskData);
    }

    public void addTaskData(Path file) {
        tasks.run("Reading task data", p -> backend.openTaskData(file), t -> {
            workspace.tasks().removeIf(x -> x.name().equals(t.name()));
            workspace.tasks().add(t);
        });
    }

    public void removeTaskData(TaskEntry t) {
        workspace.tasks().remove(t);
    }
}
