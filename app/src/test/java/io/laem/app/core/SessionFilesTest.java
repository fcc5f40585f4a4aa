package io.laem.app.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionFilesTest {
    @TempDir
    Path dir;

    @Test
    void roundTripWithRelativePaths() throws Exception {
        double[][][] w = {{{0.1, 0.2}, {0.3, 0.4}, {1, 1}}, {{0.5, 0.6}, {0.7, 0.8}, {1, 0.9}}};
        SessionData s = new SessionData(dir.resolve("base"),
                List.of(new SessionData.AdapterRef("a", dir.resolve("ad/a"), true, "#ff0000"),
                        new SessionData.AdapterRef("b", Path.of("/elsewhere/b"), false, null)),
                List.of(new SessionData.TaskRef("a", dir.resolve("data/a.jsonl"))),
                WeightTable.Mode.PER_LAYER, w, null, MergeSettings.Redundancy.DARE, 0.3,
                MergeSettings.Shared.NONE, 0.7, 9);
        Path f = dir.resolve("s.yaml");
        SessionFiles.write(f, s);
        String text = Files.readString(f);
        assertTrue(text.contains("path: ad/a"), text);
        assertTrue(text.contains("/elsewhere/b"), text);
        SessionData r = SessionFiles.read(f);
        assertEquals(dir.resolve("base"), r.base());
        assertEquals(List.of("a"), r.enabledAdapters());
        assertEquals("#ff0000", r.adapters().get(0).color());
        assertEquals(dir.resolve("data/a.jsonl"), r.tasks().get(0).file());
        assertEquals(WeightTable.Mode.PER_LAYER, r.weightMode());
        assertArrayEquals(w[1][2], r.weightValues()[1][2]);
        assertEquals(MergeSettings.Redundancy.DARE, r.redundancy());
        assertEquals(0.3, r.density());
        assertEquals(MergeSettings.Shared.NONE, r.shared());
        assertEquals(9, r.seed());
    }

    @Test
    void missingAdapterPathIsAOneLineError() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "adapters:\n  - name: x\n");
        LaemException e = assertThrows(LaemException.class, () -> SessionFiles.read(f));
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("adapters[].path"), e.getMessage());
    }
}
