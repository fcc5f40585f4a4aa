package io.laem.app.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.FixtureSessionTest;
import io.laem.app.Fx;
import io.laem.engine.lora.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** File > Export writes where the engine allows: never over an input, an earlier export only after a confirmation. */
class ExportViewModelTest extends FixtureSessionTest {
    private void exportAndWait(Path out) {
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAdapter(out, p -> done[0] = p));
        Fx.waitUntil(30, () -> done[0] != null);
    }

    @Test
    void everyFormatOfTheEngineRegistryIsOfferedAndAGgufLoraExportWritesItsFiles() {
        assertEquals(List.of("gguf-lora", "gguf-lora:groups=4", "gguf-model:f32", "gguf-model:f16", "gguf-model:q8_0", "gguf-model:bf16"),
                ExportViewModel.otherFormats().stream().map(io.laem.engine.export.ExportFormat::name).toList());
        Path out = tmp.resolve("gguf-lora");
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAs("gguf-lora", out, p -> done[0] = p));
        Fx.waitUntil(60, () -> done[0] != null || !dialogs.errors.isEmpty());
        assertEquals(List.of(), dialogs.errors);
        assertTrue(Files.isRegularFile(out.resolve("adapter.gguf")));
        assertTrue(Files.isRegularFile(out.resolve("Modelfile")));
    }

    @Test
    void thePerGroupGgufExportWritesTheWholeAdapterAndOnePerLayerGroup() {
        Path out = tmp.resolve("gguf-groups");
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAs("gguf-lora:groups=4", out, p -> done[0] = p));
        Fx.waitUntil(60, () -> done[0] != null || !dialogs.errors.isEmpty());
        assertEquals(List.of(), dialogs.errors);
        // the fixture kit's 6 layers in 4 groups: 2, 2, 1, 1
        for (String f : List.of("adapter.gguf", "adapter-layers-0-1.gguf", "adapter-layers-2-3.gguf", "adapter-layers-4-4.gguf", "adapter-layers-5-5.gguf")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
    }

    @Test
    void thePerGroupMenuItemAsksForTheGroupsAndRefusesRangesTheBaseDoesNotHave() {
        // the fixture kit has 6 layers: ranges past layer 5 are refused before a folder is asked for
        dialogs.texts.add("0-3,4-7");
        Fx.run(() -> vm.export().exportAs("gguf-lora:groups=4"));
        assertEquals(List.of("groups=0-3,4-7: the ranges end at layer 7, the model's last layer is 5"), dialogs.errors);
        assertTrue(dialogs.questions.getFirst().contains("The base has 6 layers (0-5)"), dialogs.questions.getFirst());
        dialogs.errors.clear();
        dialogs.texts.add("three");
        Fx.run(() -> vm.export().exportAs("gguf-lora:groups=4"));
        assertEquals(1, dialogs.errors.size());
        assertTrue(dialogs.errors.getFirst().startsWith("groups=three: give a number of groups"), dialogs.errors.getFirst());
        // cancelled: nothing asked after it
        dialogs.errors.clear();
        Fx.run(() -> vm.export().exportAs("gguf-lora:groups=4"));
        assertEquals(List.of(), dialogs.errors);

        // accepted: the chosen ranges are what gets written
        Path out = tmp.resolve("gguf-ranges");
        dialogs.texts.add(" 0-1,2-5 ");
        dialogs.paths.add(out);
        Fx.run(() -> vm.export().exportAs("gguf-lora:groups=4"));
        Fx.waitUntil(60, () -> Files.isRegularFile(out.resolve("Modelfile")) || !dialogs.errors.isEmpty());
        assertEquals(List.of(), dialogs.errors);
        for (String f : List.of("adapter.gguf", "adapter-layers-0-1.gguf", "adapter-layers-2-5.gguf")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("adapter-layers-0-0.gguf")));
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

    @Test
    void aFailedExportShowsTheEnginesLineAndLeavesNothing() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path out = file.resolve("merged");
        Fx.run(() -> vm.export().exportAdapter(out, p -> {}));
        Fx.waitUntil(30, () -> !dialogs.errors.isEmpty());
        assertEquals(List.of("Exporting adapter failed: " + out + ": cannot write: a parent is not a folder (" + file + ")"), dialogs.errors);
        assertEquals(List.of("file", "prefs.properties"), names(tmp));
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
