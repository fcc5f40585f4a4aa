package io.laem.app.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.ScriptedBackend;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import io.laem.engine.lora.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File > Export writes where the engine allows: never over an input, an earlier export only after a confirmation. */
class ExportViewModelTest {
    @TempDir
    static Path kitDir;
    static Path session;

    @TempDir
    Path tmp;
    FakeDialogs dialogs;
    MainViewModel vm;

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

    private void exportAndWait(Path out) {
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAdapter(out, p -> done[0] = p));
        Fx.waitUntil(30, () -> done[0] != null);
    }

    @Test
    void anEarlierExportIsReplacedOnlyAfterTheUserConfirms() throws Exception {
        Path out = tmp.resolve("merged");
        exportAndWait(out);
        byte[] first = Files.readAllBytes(out.resolve(LoraAdapter.WEIGHTS));
        Fx.run(() -> vm.workspace().weights().applyPreset(io.laem.app.core.WeightTable.Preset.RAMP_UP));

        Fx.run(() -> vm.export().exportAdapter(out, p -> {}));  // the user answers Cancel
        assertEquals(List.of(out + " holds an earlier laem output. Replace it? The old one is deleted only once the new one is complete."),
                dialogs.questions);
        assertArrayEquals(first, Files.readAllBytes(out.resolve(LoraAdapter.WEIGHTS)));

        dialogs.confirms.add(true);
        exportAndWait(out);
        assertEquals(2, dialogs.questions.size());
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(out.resolve(LoraAdapter.WEIGHTS))), "the new weights");
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        assertEquals(List.of("merged", "prefs.properties"), names(tmp));
    }

    @Test
    void anInputOrAFolderLaemDidNotWriteIsRefusedInADialogWithoutAsking() throws Exception {
        Path adapter = kitDir.resolve("adapters/reverse");
        byte[] weights = Files.readAllBytes(adapter.resolve(LoraAdapter.WEIGHTS));
        dialogs.confirms.add(true);
        Fx.run(() -> vm.export().exportAdapter(adapter, p -> {}));
        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.md"), "mine");
        Fx.run(() -> vm.export().exportAdapter(mine, p -> {}));
        Fx.run(() -> vm.export().exportReport(kitDir, p -> {}));
        assertEquals(List.of(adapter + ": is the input " + adapter + "; laem never writes over its inputs",
                mine + ": was not written by laem (no .laem-output file); laem replaces only folders it wrote",
                kitDir + ": contains the input " + kitDir.resolve("base") + "; laem never writes over its inputs"), dialogs.errors);
        assertEquals(List.of(), dialogs.questions);
        assertArrayEquals(weights, Files.readAllBytes(adapter.resolve(LoraAdapter.WEIGHTS)));
        assertEquals(List.of("notes.md"), names(mine));
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
