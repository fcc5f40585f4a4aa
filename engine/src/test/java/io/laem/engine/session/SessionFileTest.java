package io.laem.engine.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workbench's part of a session file: written and read back whole; old files have none; bad ones are one line. */
class SessionFileTest {
    @TempDir
    Path dir;

    private Recipe session() {
        return new Recipe(dir.resolve("base"), List.of(new Recipe.AdapterRef("a", dir.resolve("ad/a")), new Recipe.AdapterRef("b", dir.resolve("ad/b"))),
                Recipe.Redundancy.NONE, Recipe.Shared.NONE, Map.of("a", Schedule.constant(0.5), "b", Schedule.constant(0)), Recipe.Output.EXACT, null);
    }

    private HistoryEntry entry(int n) {
        Recipe r = new Recipe(dir.resolve("base"), List.of(new Recipe.AdapterRef("a", dir.resolve("ad/a"))),
                new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, 0.4, 1, Recipe.Redundancy.Sign.TOTAL, 7),
                new Recipe.Shared(Recipe.Shared.Mode.CONSENSUS, 4, null),
                Map.of("a", Schedule.perGroup(Schedule.gradient(0.1, 0.9), Schedule.constant(0.3)), Recipe.SHARED, Schedule.constant(0.8)),
                new Recipe.Output(8, io.laem.engine.io.DType.BF16), null);
        return new HistoryEntry(n, "try " + n, Instant.parse("2026-12-02T21:00:0" + n + "Z"), HistoryEntry.Source.EVALUATED, "validation", r,
                Map.of("math", new TaskScore(0.25, 1.5, 8)));
    }

    @Test
    void historyColorsAndKeptWeightsComeBackAsWritten() {
        Path f = dir.resolve("s.yaml");
        Workbench w = new Workbench(Map.of("a", new Workbench.AdapterView("#112233", true, null),
                "b", new Workbench.AdapterView(null, false, Schedule.gradient(0.2, 0.4))), List.of(entry(1), entry(3)));
        SessionFile.write(f, session(), w);
        Workbench back = SessionFile.read(f);
        assertEquals(w, back);
        // the recipe part is the session's recipe: laem merge runs it
        assertEquals(session(), RecipeYaml.read(f));
        assertEquals(entry(3).recipe(), SessionFile.entryRecipe(f, 3));
    }

    @Test
    void aSessionFileWithoutTheWorkbenchPartHasNoHistory() throws Exception {
        Path f = dir.resolve("old.yaml");
        Files.writeString(f, "base_model: base\nadapters: [{name: a, path: ad/a}]\nweights: {a: 0.5}\n");
        assertSame(Workbench.EMPTY, SessionFile.read(f));
        LaemException e = assertThrows(LaemException.class, () -> SessionFile.entryRecipe(f, 1));
        assertEquals(f + ": no history entry 1 (the session has no merge history)", e.getMessage());
    }

    @Test
    void aMissingEntryNamesTheEntriesThereAre() {
        Path f = dir.resolve("s.yaml");
        SessionFile.write(f, session(), new Workbench(Map.of(), List.of(entry(1), entry(2))));
        LaemException e = assertThrows(LaemException.class, () -> SessionFile.entryRecipe(f, 5));
        assertEquals(f + ": no history entry 5 (entries: 1, 2)", e.getMessage());
    }

    @Test
    void badWorkbenchPartsAreOneLineErrorsNamingTheKey() throws Exception {
        Path f = dir.resolve("s.yaml");
        SessionFile.write(f, session(), new Workbench(Map.of(), List.of(entry(1))));
        String good = Files.readString(f);
        Map<String, String> cases = Map.of(
                good.replace("source: \"evaluated\"", "source: \"guessed\"").replace("source: evaluated", "source: guessed"),
                "key 'workbench.history[0].source' must be one of evaluated|optimizer|exported|kept",
                good.replace("exact_match: 0.25", "exact_match: 1.5"), "key 'workbench.history[0].scores.math.exact_match' must be in [0, 1]",
                good.replace("number: 1", "number: 0"), "key 'workbench.history[0].number' must be a positive integer",
                good + "  adapters: {a: {color: red}}\n", "key 'workbench.adapters.a.color' must be a color #rrggbb");
        for (var c : cases.entrySet()) {
            Files.writeString(f, c.getKey());
            LaemException e = assertThrows(LaemException.class, () -> SessionFile.read(f), c.getKey());
            assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(c.getValue()), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void theDiffIsTheLaterMinusTheEarlierPerLayerAndGroupWithAMissingEntryAtZero() {
        HistoryEntry a = entry(1);
        Recipe r = a.recipe().withShared(Recipe.Shared.NONE).withWeight("a", Schedule.constant(0.5));
        HistoryEntry b = new HistoryEntry(2, "", a.time(), HistoryEntry.Source.KEPT, null, r, Map.of());
        WeightDiff d = WeightDiff.of(a, b, 3);
        assertEquals(List.of("a attn", "a mlp", "shared attn", "shared mlp"), d.rows());
        assertEquals(0.5 - 0.1, d.values()[0][0], 1e-12);
        assertEquals(0.5 - 0.5, d.values()[0][1], 1e-12); // gradient 0.1..0.9 at the middle layer
        assertEquals(0.5 - 0.9, d.values()[0][2], 1e-12);
        assertEquals(0.2, d.values()[1][2], 1e-12);
        assertEquals(-0.8, d.values()[2][0], 1e-12); // no shared module in b
        assertEquals(0.8, d.maxAbs(), 1e-12);
    }

    @Test
    void theDiffOfAPerModuleMergeHasARowPerModule() {
        java.util.List<String> entries = List.of("a");
        io.laem.engine.merge.MergeWeights groups = io.laem.engine.merge.MergeWeights.constant(entries, 2, 0.5);
        io.laem.engine.merge.MergeWeights modules = io.laem.engine.merge.MergeWeights.ofModules(entries, 2,
                (e, l, k) -> k == io.laem.engine.model.ModuleKind.V_PROJ ? 0.75 : 0.5);
        WeightDiff d = WeightDiff.of(groups, modules);
        assertEquals(List.of("a q_proj", "a k_proj", "a v_proj", "a o_proj", "a gate_proj", "a up_proj", "a down_proj"), d.rows());
        assertEquals(0.25, d.values()[2][1], 1e-12);
        assertEquals(0.25, d.maxAbs(), 1e-12);
    }
}
