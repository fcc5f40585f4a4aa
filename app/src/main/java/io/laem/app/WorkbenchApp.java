package io.laem.app;

import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Workspace;
import io.laem.app.shell.FxDialogService;
import io.laem.app.shell.MainViewModel;
import io.laem.app.shell.MainWindow;
import io.laem.app.shell.ScreenshotTour;
import java.nio.file.Path;
import java.util.List;
import javafx.application.Application;
import javafx.stage.Stage;

/**
 * The workbench window. Opens the session named by {@code --session FILE}, else the last session,
 * else the demo kit.
 */
public final class WorkbenchApp extends Application {
    private MainWindow window;

    @Override
    public void start(Stage stage) {
        List<String> args = getParameters().getRaw();
        Path explicit = args.size() == 2 && args.get(0).equals("--session") ? Path.of(args.get(1)) : null;
        MainViewModel vm = new MainViewModel(new Workspace(), new EngineBackend(), new BackgroundTasks(),
                new FxDialogService(stage), AppPreferences.standard());
        window = new MainWindow(stage, vm, uri -> getHostServices().showDocument(uri));
        window.show();
        vm.startupSession(explicit).ifPresent(p -> vm.openSession(p, x -> {}));
        String shots = System.getProperty("laem.screenshots");
        if (shots != null) {
            new ScreenshotTour(window, vm, Path.of(shots)).start();
        }
    }
}
