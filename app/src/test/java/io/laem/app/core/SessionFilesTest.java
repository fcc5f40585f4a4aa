package io.laem.app.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FixtureKit;
import io.laem.engine.LaemException;
import io.laem.engine.io.DType;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session file is the engine's recipe: what the GUI writes, laem merge reads. */
class SessionFilesTest {
    @TempDir
    Path dir;

    private SessionData session(double[][][] w, WeightTable.Mode mode, Path tasksFile) {
        return new SessionData(dir.resolve("kit/base"),
                List.of(new SessionData.AdapterRef("a", dir.resolve("kit/adapters/arith"), true, "#ff0000"),
                        new SessionData.AdapterRef("b", dir.resolve("kit/adapters/reverse"), false, null),
                        new SessionData.AdapterRef("c", dir.resolve("kit/adapters/upper"), true, null)),
                List.of(new SessionData.TaskRef("a", dir.resolve("kit/data/arith.validation.jsonl"))), tasksFile,
                mode, w, null,
                new MergeSettings.Values(new Recipe.Redundancy(Recipe.Redundancy.Strategy.DARE, 0.3, 1, Recipe.Redundancy.Sign.TOTAL, 9),
                        new Recipe.Shared(Recipe.Shared.Mode.CONSENSUS, 4, null), new Recipe.Output(16, DType.BF16)), 9, List.of());
    }

    @Test
    void writesARecipeThatTheEngineReadsBack() throws Exception {
        FixtureKit.write(dir.resolve("kit"));
        double[][][] w = {{{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {1, 1}}, {{0.1, 0.2}, {0.3, 0.4}, {0.7, 0.8}, {1, 0.9}}};
        Path f = dir.resolve("kit/s.yaml");
        SessionFiles.write(f, session(w, WeightTable.Mode.CONTROL_POINTS, null));
        Recipe r = RecipeYaml.read(f);
        assertEquals(List.of("a", "b", "c"), r.adapterNames());
        assertEquals(new Schedule.Gradient(new double[] {0.1, 0.2}), r.weights().get("a"));
        assertEquals(Schedule.constant(0), r.weights().get("b")); // disabled
        assertEquals(Schedule.perGroup(Schedule.gradient(0.5, 0.6), Schedule.gradient(0.7, 0.8)), r.weights().get("c"));
        assertEquals(Recipe.Redundancy.Strategy.DARE, r.redundancy().strategy());
        assertEquals(16, r.output().rank());
        assertTrue(Files.readString(f).contains("base_model: base"), Files.readString(f));
        // tasks were edited in the session: a tasks file is written next to it
        assertEquals(dir.resolve("kit/s.tasks.yaml"), r.tasks());
        assertEquals(List.of(new SessionData.TaskRef("a", dir.resolve("kit/data/arith.validation.jsonl"))), SessionFiles.readTasks(r.tasks()));

        SessionData back = SessionFiles.read(f);
        assertEquals(List.of("a", "c"), back.enabledAdapters());
        assertEquals(WeightTable.Mode.PER_LAYER, back.weightMode()); // per-group schedules come back per layer
        // layer 5 of 6 of c's MLP curve [0.7, 0.8] is 0.8; attention 0.6
        assertEquals(0.8, back.weightValues()[1][2][5], 1e-12);
        assertEquals(0.6, back.weightValues()[0][2][5], 1e-12);
        assertEquals(0.3, back.settings().redundancy().density());
        assertEquals(9, back.seed());
        assertEquals(r.tasks(), back.tasksFile());
    }

    @Test
    void controlPointsComeBackAsControlPoints() throws Exception {
        FixtureKit.write(dir.resolve("kit"));
        double[][][] w = {{{0.1, 0.2, 0.3}, {0.3, 0.4, 0.5}, {0.5, 0.6, 0.7}, {1, 1, 1}}, null};
        w[1] = w[0];
        Path f = dir.resolve("kit/s.yaml");
        SessionFiles.write(f, session(w, WeightTable.Mode.CONTROL_POINTS, null));
        SessionData back = SessionFiles.read(dir.resolve("kit/s.yaml").toAbsolutePath());
        assertEquals(WeightTable.Mode.CONTROL_POINTS, back.weightMode());
        assertArrayEquals(new double[] {0.5, 0.6, 0.7}, back.weightValues()[0][2]);
        assertEquals("#ff0000", back.adapters().get(0).color()); // colors are saved
        assertNull(back.adapters().get(2).color());
    }

    @Test
    void perModuleSchedulesMakeAPerLayerTableOfGroupMeansAndKeepTheModules() {
        java.util.Map<io.laem.engine.model.ModuleKind, io.laem.engine.merge.recipe.Schedule> m = new java.util.EnumMap<>(io.laem.engine.model.ModuleKind.class);
        for (io.laem.engine.model.ModuleKind k : io.laem.engine.model.ModuleKind.unfused()) {
            m.put(k, io.laem.engine.merge.recipe.Schedule.gradient(k.ordinal(), 2 * k.ordinal()));
        }
        SessionFiles.Table t = SessionFiles.table(java.util.Map.of("a", io.laem.engine.merge.recipe.Schedule.perModule(m)), List.of("a", "shared"), 2);
        assertEquals(WeightTable.Mode.PER_LAYER, t.mode());
        assertEquals(2.0, t.modules().get(0, 1, io.laem.engine.model.ModuleKind.K_PROJ), 1e-12); // k_proj's own: [1, 2] at layer 1
        assertEquals(1.0, t.modules().get(1, 1, io.laem.engine.model.ModuleKind.K_PROJ), 1e-12);
        assertArrayEquals(new double[] {1.5, 3}, t.values()[0][0], 1e-12); // q, k, v, o: 0..3 at layer 0, doubled at layer 1
        assertArrayEquals(new double[] {5, 10}, t.values()[1][0], 1e-12); // gate, up, down: 4..6
        assertArrayEquals(new double[] {1, 1}, t.values()[0][1], 1e-12); // no schedule: the default weight
        assertFalse(SessionFiles.table(java.util.Map.of("a", io.laem.engine.merge.recipe.Schedule.constant(0.5)), List.of("a", "shared"), 2).modules() != null);
    }

    @Test
    void heldPerModuleWeightsAreSavedPerModuleAndComeBack() throws Exception {
        FixtureKit.write(dir.resolve("kit"));
        int layers = 6;
        MergeWeights modules = MergeWeights.ofModules(List.of("a", "b", "c", "shared"), layers, (e, l, k) -> 0.1 * e + 0.01 * l + 0.001 * k.ordinal());
        double[][][] groups = new double[2][4][];
        for (io.laem.engine.model.ModuleKind.Group g : io.laem.engine.model.ModuleKind.Group.values()) {
            for (int s = 0; s < 4; s++) {
                groups[g.ordinal()][s] = modules.groupMeans(s, g);
            }
        }
        SessionData s = session(groups, WeightTable.Mode.PER_LAYER, null);
        s = new SessionData(s.base(), s.adapters(), s.tasks(), s.tasksFile(), s.weightMode(), s.weightValues(), modules, s.settings(), s.seed(), s.history());
        Path f = dir.resolve("kit/m.yaml");
        SessionFiles.write(f, s);
        Recipe r = RecipeYaml.read(f);
        assertTrue(r.weights().get("c") instanceof Schedule.PerModule, r.weights().toString());
        assertEquals(modules.get(2, 3, io.laem.engine.model.ModuleKind.K_PROJ), r.weight("c", 3, layers, io.laem.engine.model.ModuleKind.K_PROJ), 1e-12);
        SessionData back = SessionFiles.read(f);
        for (int e : new int[] {0, 2, 3}) { // b is disabled: saved at 0
            for (io.laem.engine.model.ModuleKind k : io.laem.engine.model.ModuleKind.unfused()) {
                assertEquals(modules.get(e, 4, k), back.weights().get(e, 4, k), 1e-12, e + " " + k);
            }
        }
    }

    @Test
    void anOldSessionFileWithoutTheWorkbenchPartReadsAsBefore() throws Exception {
        FixtureKit.write(dir.resolve("kit"));
        double[][][] w = {{{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {1, 1}}, null};
        w[1] = w[0];
        Path f = dir.resolve("kit/old.yaml");
        SessionData s = session(w, WeightTable.Mode.CONTROL_POINTS, null);
        RecipeYaml.write(s.toRecipe(false, null), f); // what sessions were before the merge history
        SessionData back = SessionFiles.read(f);
        assertEquals(List.of("a", "c"), back.enabledAdapters()); // weight 0: disabled
        assertEquals(List.of(), back.history());
        assertNull(back.adapters().get(0).color());
    }

    @Test
    void badRecipeIsAOneLineError() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "base_model: x\nadapters:\n  - name: x\n");
        LaemException e = assertThrows(LaemException.class, () -> SessionFiles.read(f));
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("adapters[0].path"), e.getMessage());
    }

    @Test
    void savingAsAnInputIsRefusedAndTheInputIsUntouched() throws Exception {
        FixtureKit.write(dir.resolve("kit"));
        double[][][] w = {{{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {1, 1}}, null};
        SessionData s = session(w, WeightTable.Mode.CONTROL_POINTS, null);
        Path config = dir.resolve("kit/base/config.json");
        Path data = dir.resolve("kit/data/arith.validation.jsonl");
        Path adapterConfig = dir.resolve("kit/adapters/arith/adapter_config.json");
        for (Path input : List.of(config, data, adapterConfig, dir.resolve("kit/base"))) {
            byte[] before = Files.isRegularFile(input) ? Files.readAllBytes(input) : null;
            LaemException e = assertThrows(LaemException.class, () -> SessionFiles.write(input, s), input.toString());
            assertTrue(e.getMessage().startsWith(input + ": ") && e.getMessage().contains("input"), e.getMessage());
            if (before != null) {
                assertArrayEquals(before, Files.readAllBytes(input), "untouched: " + input);
            }
        }
        // nor may the tasks file written beside the session be a task's data
        Path clash = dir.resolve("kit/data/arith.validation.jsonl.yaml");
        Files.move(data, dir.resolve("kit/data/clash.tasks.yaml"));
        SessionData clashing = new SessionData(s.base(), s.adapters(),
                List.of(new SessionData.TaskRef("a", dir.resolve("kit/data/clash.tasks.yaml"))), null,
                s.weightMode(), s.weightValues(), null, s.settings(), s.seed(), List.of());
        LaemException e = assertThrows(LaemException.class, () -> SessionFiles.write(dir.resolve("kit/data/clash.yaml"), clashing));
        assertTrue(e.getMessage().contains("clash.tasks.yaml") && e.getMessage().contains("input"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("kit/data/clash.yaml")) && Files.notExists(clash));
    }
}
