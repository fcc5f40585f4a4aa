package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.DemoKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** laem compare on the demo kit: cells on stdout as they fill, the HTML sheet, the refusals. */
class CompareCommandTest {
    static final Path RECIPE = DemoKit.dir().resolve("recipe.yaml");

    @Test
    void writesTheGridAndPrintsEachCell(@TempDir Path dir) throws Exception {
        Path prompts = Files.writeString(dir.resolve("prompts.txt"), "shift: kamji =\n\n<b>mirror</b>: xytpn =\n");
        Path out = dir.resolve("grid.html");
        CliRun r = CliRun.laem("compare", RECIPE.toString(), "--prompts", prompts.toString(), "--task", "shift:2",
                "--columns", "base,current", "--sweep", "shift=0,1", "--max-tokens", "8", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(4 * 4, lines.size(), r.out()); // 2 typed + 2 task rows, base + current + 2 sweep values
        assertTrue(lines.get(0).startsWith("base\tprompt 1\t.\t"), lines.get(0));
        assertTrue(lines.get(2).startsWith("base\tshift #1\t"), lines.get(2));
        assertTrue(lines.get(15).startsWith("shift=1\tshift #2\t"), lines.get(15));
        assertTrue(lines.stream().filter(l -> l.contains("\tshift #")).allMatch(l -> l.split("\t")[2].matches("[+-]")));
        String html = Files.readString(out);
        assertTrue(html.contains("<th>shift=0</th>") && html.contains("<th>current</th>"));
        assertTrue(html.contains("&lt;b&gt;mirror&lt;/b&gt;"), "prompts are escaped");
        assertTrue(r.err().contains("compare: wrote " + out + " (16 cells)"), r.err());
        assertTrue(r.err().contains("compare: shift=1: "), "matches per column with references: " + r.err());
    }

    @Test
    void historyEntriesOfASessionAreColumns(@TempDir Path dir) throws Exception {
        io.laem.engine.merge.recipe.Recipe demo = io.laem.engine.merge.recipe.RecipeYaml.read(RECIPE);
        io.laem.engine.merge.recipe.Recipe kept = demo.withWeight("spell", io.laem.engine.merge.recipe.Schedule.constant(1));
        Path session = dir.resolve("session.yaml");
        io.laem.engine.session.SessionFile.write(session, demo, new io.laem.engine.session.Workbench(java.util.Map.of(), List.of(
                new io.laem.engine.session.HistoryEntry(3, "spell up", java.time.Instant.parse("2026-12-02T20:00:00Z"),
                        io.laem.engine.session.HistoryEntry.Source.KEPT, null, kept, java.util.Map.of()))));
        Path out = dir.resolve("grid.html");
        CliRun r = CliRun.laem("compare", session.toString(), "--task", "spell:2", "--columns", "#3,history", "--sweep", "spell=1",
                "--max-tokens", "8", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(6, lines.size(), r.out());
        for (int row = 0; row < 2; row++) {
            String text = lines.get(row).substring(lines.get(row).indexOf('\t', lines.get(row).indexOf('\t') + 1));
            assertTrue(lines.get(row).startsWith("#3 spell up\t"), lines.get(row));
            assertTrue(lines.get(2 + row).startsWith("#3 spell up\t") && lines.get(2 + row).endsWith(text), "history: the same entry");
            assertTrue(lines.get(4 + row).startsWith("spell=1\t") && lines.get(4 + row).endsWith(text), "the entry is the recipe it kept");
        }
        assertOneLine(CliRun.laem("compare", session.toString(), "--task", "spell:1", "--columns", "#4", "--out", dir.resolve("x.html").toString()),
                "no history entry 4 (entries: #3)");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "spell:1", "--columns", "history", "--out", dir.resolve("x.html").toString()),
                "has no merge history");
    }

    @Test
    void refusesAnExistingOutputBadInputAndAMissingRouterInOneLine(@TempDir Path dir) throws Exception {
        Path out = Files.writeString(dir.resolve("grid.html"), "mine");
        CliRun r = CliRun.laem("compare", RECIPE.toString(), "--task", "shift:1", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("mine", Files.readString(out), "never replaced without --force");
        assertOneLine(r, out.toString());
        Path fresh = dir.resolve("new.html");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--out", fresh.toString()), "--prompts FILE or --task");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "nope", "--out", fresh.toString()), "no task 'nope'");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "shift:x", "--out", fresh.toString()), "--task shift:x");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "shift:1", "--sweep", "shift=a", "--out", fresh.toString()),
                "--sweep shift=a: ");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "shift:1", "--columns", "current,what", "--out",
                fresh.toString()), "--columns: 'what'");
        assertOneLine(CliRun.laem("compare", RECIPE.toString(), "--task", "shift:1", "--columns", "moa", "--out", fresh.toString()),
                "router");
        assertFalse(Files.exists(fresh));
    }

    static void assertOneLine(CliRun r, String expected) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("laem: ") && r.err().contains(expected), r.err());
    }
}
