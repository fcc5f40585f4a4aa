package io.laem.app.gui;

import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import io.laem.app.shell.MainWindow;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;

/** The real window (headless) opened once per test class on the fixture kit's session, with dialogs answered in advance. */
abstract class FixtureWindowTest {
    @TempDir
    static Path dir;
    static FakeDialogs dialogs;
    static MainViewModel vm;
    static MainWindow window;
    static EngineBackend backend;
    final FxRobot robot = new FxRobot();

    @BeforeAll
    static void openWindow() throws Exception {
        Path session = FixtureKit.write(dir.resolve("kit"));
        Path prefsFile = dir.resolve("prefs.properties");
        Files.writeString(prefsFile, "window.width=1280\nwindow.height=800\nwindow.x=0\nwindow.y=0\n");
        Stage stage = FxToolkit.registerPrimaryStage();
        dialogs = new FakeDialogs();
        Fx.run(() -> {
            backend = new EngineBackend();
            vm = new MainViewModel(new Workspace(), backend, new BackgroundTasks(), dialogs, new AppPreferences(prefsFile));
            window = new MainWindow(stage, vm, uri -> {});
            window.show();
            vm.openSession(session, p -> {});
        });
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3 && !vm.tasks().isBusy());
    }

    /** Closes without the unsaved-changes question (the tests change weights). */
    @AfterAll
    static void close() {
        Fx.run(() -> {
            vm.workspace().markSaved(vm.workspace().fileProperty().get());
            window.closing();
            window.stage().hide();
        });
    }

    /** Clicks through menus by their texts, only on nodes of windows that show (old popups keep their labels). */
    void menu(String... path) {
        for (String text : path) {
            javafx.scene.Node n = robot.lookup(text).match((javafx.scene.Node x) -> x.getScene() != null
                    && x.getScene().getWindow() != null && x.getScene().getWindow().isShowing()).query();
            robot.clickOn(n, org.testfx.robot.Motion.HORIZONTAL_FIRST);
        }
    }
}
