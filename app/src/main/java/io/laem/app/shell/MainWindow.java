package io.laem.app.shell;

import io.laem.app.core.AppPreferences;
import io.laem.app.core.WeightTable;
import io.laem.app.history.HistoryView;
import io.laem.app.layers.LayersView;
import io.laem.app.optimize.OptimizeView;
import io.laem.app.playground.PlaygroundView;
import io.laem.app.session.SessionView;
import io.laem.app.weights.WeightsView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import javafx.collections.ListChangeListener;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.controlsfx.control.StatusBar;

/** The main window: menus, the session panel, the view tabs and the status bar. */
public final class MainWindow {
    private final MainViewModel vm;
    private final Stage stage;
    private final BorderPane root = new BorderPane();
    private final TabPane tabs = new TabPane();
    private final SplitPane split;
    private final LayersView layers;
    private final WeightsView weights;
    private final OptimizeView optimize;
    private final PlaygroundView playground;
    private final Tab compareTab;
    private final HistoryView history;
    private final Menu recentMenu = new Menu("Recent");
    private final Consumer<String> showDocument;

    public MainWindow(Stage stage, MainViewModel vm, Consumer<String> showDocument) {
        this.stage = stage;
        this.vm = vm;
        this.showDocument = showDocument;
        layers = new LayersView(vm.layers());
        weights = new WeightsView(vm.weights());
        optimize = new OptimizeView(vm.optimize());
        playground = new PlaygroundView(vm.playground());
        compareTab = tab("Compare", new io.laem.app.compare.CompareView(vm.compare()));
        history = new HistoryView(vm.history());
        tabs.getTabs().addAll(tab("Layers", layers), tab("Weights", weights), tab("Optimize", optimize), tab("Playground", playground));
        tabs.getTabs().add(tab("History", history));
        tabs.getTabs().add(compareTab);
        tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        tabs.setId("view-tabs");
        SessionView session = new SessionView(vm.session());
        split = new SplitPane(session, tabs);
        SplitPane.setResizableWithParent(session, false);
        root.setTop(menus());
        root.setCenter(split);
        root.setBottom(statusBar());
        vm.export().setChartSource(this::chartImages);

        AppPreferences p = vm.prefs();
        Scene scene = new Scene(root, p.getDouble("window.width", 1440), p.getDouble("window.height", 900));
        stage.setScene(scene);
        stage.titleProperty().bind(vm.titleProperty());
        double x = p.getDouble("window.x", Double.NaN);
        double y = p.getDouble("window.y", Double.NaN);
        if (!Double.isNaN(x) && !Double.isNaN(y)) {
            stage.setX(x);
            stage.setY(y);
        }
        stage.setMaximized(p.getBoolean("window.maximized", false));
        split.setDividerPositions(p.getDouble("window.divider", 0.22));
        tabs.getSelectionModel().select((int) p.getDouble("window.tab", 0));
        stage.setOnCloseRequest(e -> {
            if (!closing()) {
                e.consume();
            }
        });
    }

    /** Shows the tab with this id. */
    private void selectTab(String id) {
        tabs.getTabs().stream().filter(t -> id.equals(t.getId())).findFirst().ifPresent(t -> tabs.getSelectionModel().select(t));
    }

    private static Tab tab(String title, Node content) {
        Tab t = new Tab(title, content);
        t.setId("tab-" + title.toLowerCase());
        return t;
    }

    public Stage stage() {
        return stage;
    }

    public TabPane tabs() {
        return tabs;
    }

    public void show() {
        stage.show();
    }

    /** Asks about unsaved changes, then remembers the layout and stops all work; false to stay open. */
    public boolean closing() {
        if (!vm.confirmDiscard("quit")) {
            return false;
        }
        AppPreferences p = vm.prefs();
        p.putBoolean("window.maximized", stage.isMaximized());
        if (!stage.isMaximized()) {
            p.putDouble("window.x", stage.getX());
            p.putDouble("window.y", stage.getY());
            p.putDouble("window.width", stage.getWidth());
            p.putDouble("window.height", stage.getHeight());
        }
        p.putDouble("window.divider", split.getDividerPositions()[0]);
        p.putDouble("window.tab", tabs.getSelectionModel().getSelectedIndex());
        vm.close();
        return true;
    }

    private MenuBar menus() {
        Menu file = new Menu("File");
        Menu export = new Menu("Export");
        export.setId("menu-export");
        export.getItems().addAll(
                item("Merged Adapter (PEFT)...", "menu-export-adapter", "Shortcut+E", vm.export()::exportAdapter),
                item("Merged Full Model...", "menu-export-model", null, vm.export()::exportFullModel));
        for (var f : io.laem.app.export.ExportViewModel.otherFormats()) { // GGUF LoRA and GGUF model types, from the engine's registry
            String label = f.summary().replaceFirst(" for .*", "").replaceFirst(" \\([^)]*\\)$", "").replaceFirst("^merged full model as", "Merged Full Model as");
            // the per-group adapter asks for its groups (the registry's default filled in)
            MenuItem mi = item(label + " [" + f.name().replaceFirst("groups=.*", "groups=N|F-L,...") + "]...", "menu-export-" + f.name().replaceAll("[:=,]", "-"), null, () -> vm.export().exportAs(f.name()));
            mi.setMnemonicParsing(false); // "q8_0" keeps its underscore
            export.getItems().add(mi);
        }
        export.getItems().add(item("Report (HTML with charts as PNG)...", "menu-export-report", null, vm.export()::exportReport));
        vm.recent().addListener((ListChangeListener<Path>) c -> fillRecent());
        fillRecent();
        file.getItems().addAll(
                item("New Session", "menu-new", "Shortcut+N", vm::newSession),
                item("Open Session...", "menu-open", "Shortcut+O", vm::openSession),
                item("Save Session", "menu-save", "Shortcut+S", vm::save),
                item("Save Session As...", "menu-save-as", "Shortcut+Shift+S", vm::saveAs),
                new SeparatorMenuItem(),
                item("Open Base Model...", "menu-open-base", "Shortcut+B", vm.session()::openBaseModel),
                item("Add Adapter...", "menu-add-adapter", "Shortcut+Shift+D", vm.session()::addAdapter),
                item("Add Task Data...", "menu-add-task", "Shortcut+Shift+T", vm.session()::addTaskData),
                new SeparatorMenuItem(), export, recentMenu, new SeparatorMenuItem(),
                item("Quit", "menu-quit", "Shortcut+Q", () -> {
                    if (closing()) {
                        stage.close();
                    }
                }));

        Menu edit = new Menu("Edit");
        MenuItem undo = item("Undo", "menu-undo", "Shortcut+Z", vm::undo);
        undo.disableProperty().bind(vm.workspace().weights().canUndoProperty().not());
        MenuItem redo = item("Redo", "menu-redo", "Shortcut+Shift+Z", vm::redo);
        redo.disableProperty().bind(vm.workspace().weights().canRedoProperty().not());
        Menu presets = new Menu("Presets");
        for (WeightTable.Preset preset : WeightTable.Preset.values()) {
            presets.getItems().add(item(preset.toString(), "menu-preset-" + preset.name().toLowerCase(), null, () -> vm.preset(preset)));
        }
        edit.getItems().addAll(undo, redo, new SeparatorMenuItem(),
                item("Reset Weights", "menu-reset", "Shortcut+Shift+R", vm::resetWeights), presets);

        Menu run = new Menu("Run");
        MenuItem stop = item("Stop", "menu-stop", "Shortcut+PERIOD", vm::stop);
        stop.disableProperty().bind(vm.tasks().busyProperty().not());
        run.getItems().addAll(
                item("Analyze", "menu-analyze", "Shortcut+Shift+A", () -> {
                    tabs.getSelectionModel().select(0);
                    vm.layers().analyze();
                }),
                item("Contribution Map", "menu-contribution", null, () -> {
                    tabs.getSelectionModel().select(0);
                    vm.layers().contribution();
                }),
                item("Evaluate (Validation)", "menu-evaluate", "Shortcut+Shift+E", () -> {
                    selectTab("tab-history");
                    vm.history().evaluate(io.laem.app.history.HistoryViewModel.VALIDATION);
                }),
                item("Evaluate (Test)", "menu-evaluate-test", null, () -> {
                    selectTab("tab-history");
                    vm.history().evaluate(io.laem.app.history.HistoryViewModel.TEST);
                }),
                item("Optimize...", "menu-optimize", "Shortcut+Shift+O", () -> tabs.getSelectionModel().select(2)),
                item("Compare Grid...", "menu-compare", "Shortcut+Shift+G", () -> tabs.getSelectionModel().select(compareTab)),
                stop);

        Menu view = new Menu("View");
        String[] names = {"Layers", "Weights", "Optimize", "Playground", "History", "Compare"};
        for (int i = 0; i < names.length; i++) {
            int idx = i;
            view.getItems().add(item(names[i], "menu-view-" + names[i].toLowerCase(), "Shortcut+" + (i + 1),
                    () -> tabs.getSelectionModel().select(idx)));
        }

        Menu help = new Menu("Help");
        help.getItems().addAll(
                item("User Guide", "menu-guide", "F1", this::openGuide),
                item("About", "menu-about", null, () -> new AboutDialog(stage).show()));
        MenuBar bar = new MenuBar(file, edit, run, view, help);
        bar.setId("menu-bar");
        return bar;
    }

    private void fillRecent() {
        recentMenu.getItems().clear();
        for (Path p : vm.recent()) {
            MenuItem mi = new MenuItem(p.getFileName() + "  (" + p.getParent() + ")");
            mi.setMnemonicParsing(false);
            mi.setOnAction(e -> vm.openRecent(p));
            recentMenu.getItems().add(mi);
        }
        recentMenu.setDisable(recentMenu.getItems().isEmpty());
    }

    private void openGuide() {
        Path guide = MainViewModel.demoRecipe().map(r -> r.getParent().getParent().getParent())
                .orElse(Path.of(System.getProperty("laem.home", System.getProperty("user.dir"))))
                .resolve("docs").resolve("user-guide.md");
        showDocument.accept(guide.toUri().toString());
    }

    private static MenuItem item(String text, String id, String accel, Runnable action) {
        MenuItem mi = new MenuItem(text);
        mi.setId(id);
        if (accel != null) {
            mi.setAccelerator(KeyCombination.keyCombination(accel));
        }
        mi.setOnAction(e -> action.run());
        return mi;
    }

    private StatusBar statusBar() {
        StatusBar bar = new StatusBar();
        bar.setId("status-bar");
        bar.textProperty().bind(vm.tasks().messageProperty());
        vm.tasks().progressProperty().addListener((o, a, b) -> bar.setProgress(vm.tasks().isBusy() ? b.doubleValue() : 0));
        vm.tasks().busyProperty().addListener((o, a, b) -> bar.setProgress(b ? -1 : 0));
        return bar;
    }

    /**
     * The charts of the views as PNG bytes, for the report. Each chart's tab is shown for its
     * snapshot (a hidden tab's chart may never have been laid out), then the selected tab comes back.
     */
    public Map<String, byte[]> chartImages() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int selected = tabs.getSelectionModel().getSelectedIndex();
        Node[] charts = {layers.chart(), weights.chart(), optimize.chart()};
        String[] titles = {"Layers: heatmap", "Weights per layer", "Optimizer: best objective"};
        for (int i = 0; i < charts.length; i++) {
            tabs.getSelectionModel().select(i);
            root.applyCss();
            root.layout();
            out.put(titles[i], png(charts[i]));
        }
        tabs.getSelectionModel().select(selected);
        return out;
    }

    /** A PNG snapshot of a node (on the FX thread). */
    public static byte[] png(Node node) {
        WritableImage img = node.snapshot(null, null);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
