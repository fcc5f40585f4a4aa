package io.laem.app.gui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.Fx;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Workspace;
import io.laem.app.playground.PlaygroundViewModel;
import io.laem.app.shell.MainViewModel;
import io.laem.app.shell.MainWindow;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxToolkit;

/** The window as {@code ./laem} opens it: on the demo kit's recipe (skipped while the kit is not built). */
class DemoKitWindowTest {
    static final Path RECIPE = Path.of("..", "resources", "demo", "recipe.yaml").toAbsolutePath().normalize();
    @TempDir
    static Path dir;
    static FakeDialogs dialogs = new FakeDialogs();
    static MainViewModel vm;
    static MainWindow window;

    @BeforeAll
    static void open() throws Exception {
        assumeTrue(Files.isRegularFile(RECIPE), "no demo kit at " + RECIPE);
        Path prefsFile = dir.resolve("prefs");
        Files.writeString(prefsFile, "window.width=1280\nwindow.height=800\nwindow.x=0\nwindow.y=0\n"); // Monocle's headless screen
        Stage stage = FxToolkit.registerPrimaryStage();
        Fx.run(() -> {
            vm = new MainViewModel(new Workspace(), new EngineBackend(), new BackgroundTasks(), dialogs,
                    new AppPreferences(prefsFile));
            window = new MainWindow(stage, vm, uri -> {});
            window.show();
            System.setProperty("laem.home", RECIPE.getParent().getParent().getParent().toString());
            vm.startupSession(null).ifPresent(p -> vm.openSession(p, x -> {}));
        });
        Fx.waitUntil(60, () -> vm.workspace().base() != null && !vm.tasks().isBusy());
    }

    @AfterAll
    static void close() {
        if (window != null) {
            Fx.run(() -> {
                window.closing();
                window.stage().hide();
            });
        }
    }

    @Test
    void opensOnTheDemoKitAndAnswersInEveryColumn() {
        assertEquals(RECIPE, vm.workspace().fileProperty().get());
        assertEquals(4, vm.workspace().adapters().size());
        assertEquals(4, vm.workspace().tasks().size());
        assertEquals(0.25, vm.workspace().weights().snapshot().get(0, 0, ModuleKind.Q_PROJ.group()), 1e-12);
        // the heatmaps were computed in the background on open, without Run > Analyze
        assertTrue(vm.workspace().analysisProperty().get() != null, "no analysis after opening");
        assertTrue(vm.layers().metricProperty().get() != null, "no metric selected");
        assertEquals("Click a cell for that module's details.", vm.layers().detailsProperty().get());
        PlaygroundViewModel p = vm.playground();
        Fx.run(() -> {
            p.promptProperty().set("hello");
            p.maxTokensProperty().set(8);
            p.generate();
        });
        Fx.waitUntil(300, () -> !p.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        assertEquals(7, p.columns().size()); // base, 4 adapters, merge, MoA
        for (PlaygroundViewModel.Column c : p.columns()) {
            assertTrue(c.statsProperty().get().endsWith("tokens/s"), c.title() + ": " + c.statsProperty().get());
        }
    }
}
