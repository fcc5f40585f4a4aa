package io.laem.app;

import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A main view model over the fixture kit's session (three adapters, scripted backend), without a window. */
public abstract class FixtureSessionTest {
    @TempDir
    protected static Path kitDir;
    protected static Path session;

    @TempDir
    protected Path tmp;
    protected FakeDialogs dialogs;
    protected MainViewModel vm;

    @BeforeAll
    static void kit() throws Exception {
        Fx.start();
        session = FixtureKit.write(kitDir);
    }

    @BeforeEach
    void open() {
        dialogs = new FakeDialogs();
        Fx.run(() -> vm = new MainViewModel(new Workspace(), new ScriptedBackend(1), new BackgroundTasks(), dialogs,
                new AppPreferences(tmp.resolve("prefs.properties"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3);
    }

    @AfterEach
    void close() {
        Fx.run(vm::close);
    }
}
