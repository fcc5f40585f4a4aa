package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.cli.MergeCommandTest.Run;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.session.HistoryEntry;
import io.laem.engine.session.SessionFile;
import io.laem.engine.session.Workbench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code laem merge SESSION --history N}: entry N of the session's merge history, headless, exactly as its recipe merges. */
class MergeHistoryCommandTest {
    @TempDir
    Path tmp;

    @Test
    void historyEntryMergesAsItsRecipeNotAsTheSessionsCurrentWeights() throws Exception {
        Path base = Fixtures.tinyQwen2(tmp);
        List<Path> ads = Fixtures.taskAdapters(tmp.resolve("adapters"), base, 2);
        List<Recipe.AdapterRef> refs = List.of(new Recipe.AdapterRef("a", ads.get(0)), new Recipe.AdapterRef("b", ads.get(1)));
        Recipe current = new Recipe(base, refs, Recipe.Redundancy.NONE, Recipe.Shared.NONE, Map.of(), Recipe.Output.EXACT, null);
        Recipe kept = new Recipe(base, refs, new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, 0.5, 1, Recipe.Redundancy.Sign.TOTAL, 3),
                Recipe.Shared.NONE, Map.of("a", Schedule.constant(0.3), "b", Schedule.gradient(1, -2)), Recipe.Output.EXACT, null);
        Path session = tmp.resolve("session.yaml");
        SessionFile.write(session, current, new Workbench(Map.of(), List.of(
                new HistoryEntry(4, "kept", Instant.parse("2026-12-02T20:00:00Z"), HistoryEntry.Source.EXPORTED, null, kept, Map.of()))));
        Path plain = tmp.resolve("kept.yaml");
        RecipeYaml.write(kept, plain);

        Run h = MergeCommandTest.laem("merge", session.toString(), "--history", "4", "--out", tmp.resolve("h").toString());
        assertEquals(0, h.code(), h.err());
        Run p = MergeCommandTest.laem("merge", plain.toString(), "--out", tmp.resolve("p").toString());
        assertEquals(0, p.code(), p.err());
        Run c = MergeCommandTest.laem("merge", session.toString(), "--out", tmp.resolve("c").toString());
        assertEquals(0, c.code(), c.err());
        byte[] fromHistory = Files.readAllBytes(tmp.resolve("h").resolve(LoraAdapter.WEIGHTS));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("p").resolve(LoraAdapter.WEIGHTS)), fromHistory);
        assertFalse(Arrays.equals(Files.readAllBytes(tmp.resolve("c").resolve(LoraAdapter.WEIGHTS)), fromHistory), "the session's own weights differ");

        Run missing = MergeCommandTest.laem("merge", session.toString(), "--history", "9", "--out", tmp.resolve("m").toString());
        assertEquals(1, missing.code());
        assertEquals("laem: " + session + ": no history entry 9 (entries: 4)", missing.err().strip());
        assertTrue(Files.notExists(tmp.resolve("m")));
    }
}
