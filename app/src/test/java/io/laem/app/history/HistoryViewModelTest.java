package io.laem.app.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FixtureKit;
import io.laem.app.FixtureSessionTest;
import io.laem.app.Fx;
import io.laem.app.core.AdapterEntry;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import io.laem.app.core.WeightTable;
import io.laem.app.core.Workspace;
import io.laem.app.BackendDelegate;
import io.laem.app.core.EngineBackend;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.session.HistoryEntry;
import io.laem.engine.session.WeightDiff;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import javafx.scene.paint.Color;
import org.junit.jupiter.api.Test;

/** The History panel's model over the fixture kit: keep, evaluate, recall and undo, rename, diff, save and reopen, merge headless. */
class HistoryViewModelTest extends FixtureSessionTest {
    private HistoryViewModel h() {
        return vm.history();
    }

    private Workspace w() {
        return vm.workspace();
    }

    @Test
    void evaluateScoresTheCurrentMergeOnEveryTaskAndKeepsItInTheHistory() throws Exception {
        Fx.run(() -> h().evaluate(HistoryViewModel.VALIDATION));
        Fx.waitUntil(60, () -> !h().evaluatingProperty().get());
        assertEquals(List.of(), dialogs.errors);
        assertEquals(1, w().history().size());
        HistoryEntry e = w().history().get(0);
        assertEquals(HistoryEntry.Source.EVALUATED, e.source());
        assertEquals("validation", e.split());
        assertEquals(FixtureKit.TASKS, List.copyOf(e.scores().keySet()));
        for (TaskScore s : e.scores().values()) {
            assertEquals(4, s.examples());
            assertTrue(s.exactMatch() >= 0 && s.exactMatch() <= 1);
            assertTrue(s.meanNll() > 0 && Double.isFinite(s.meanNll()), "NLL " + s.meanNll());
        }
        assertEquals(w().snapshot().toRecipe(true, null), e.recipe());
        // the same numbers as laem eval of the session's recipe
        java.io.StringWriter out = new java.io.StringWriter();
        var cli = io.laem.cli.LaemCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out));
        assertEquals(0, cli.execute("eval", "--base", kitDir.resolve("base").toString(), "--recipe", session.toString(),
                "--tasks", w().snapshot().tasksFile().toString(), "--split", "validation", "--json"));
        var json = io.laem.engine.io.Json.JSON.readTree(out.toString()).get("tasks");
        for (String t : FixtureKit.TASKS) {
            assertEquals(json.get(t).get("exact_match").asDouble(), e.scores().get(t).exactMatch(), 1e-12, t);
            assertEquals(json.get(t).get("mean_nll").asDouble(), e.scores().get(t).meanNll(), 1e-6, t);
        }
        assertEquals(FixtureKit.TASKS, h().scoredTasks());
        assertEquals(e, h().selectedProperty().get());
        assertTrue(w().isDirty());
        assertTrue(h().statusProperty().get().startsWith("#1: mean exact match "), h().statusProperty().get());
    }

    @Test
    void evaluateOnATestSplitTheTasksDoNotHaveIsOneErrorAndKeepsNothing() {
        Fx.run(() -> h().evaluate(HistoryViewModel.TEST));
        Fx.waitUntil(60, () -> !h().evaluatingProperty().get());
        assertEquals(1, dialogs.errors.size());
        assertTrue(dialogs.errors.get(0).startsWith("Evaluating on test failed: ") && dialogs.errors.get(0).contains("has no split 'test'")
                && !dialogs.errors.get(0).contains("\n"),
                dialogs.errors.toString());
        assertEquals(List.of(), w().history());
    }

    @Test
    void handAddedTaskDataHasNoTestSplitAndTheLineSaysWhereOneComesFrom() {
        Fx.run(() -> w().tasks().setAll(List.copyOf(w().tasks()))); // edited tasks: no tasks YAML until saved
        Fx.run(() -> h().evaluate(HistoryViewModel.TEST));
        Fx.waitUntil(60, () -> !h().evaluatingProperty().get());
        assertEquals(List.of("Evaluating on test failed: task 'arith' has no split 'test': task data added by hand is a validation file; "
                + "a tasks YAML (tasks: {NAME: {validation: FILE, test: FILE}}) can name a test split"), dialogs.errors);
        assertEquals(List.of(), w().history());
    }

    @Test
    void stopEndsAnEvaluationWithoutAnEntry() {
        AtomicBoolean started = new AtomicBoolean();
        BackendDelegate slow = new BackendDelegate(new EngineBackend()) {
            @Override
            public EvalReport evaluateMerge(SessionData s, String split, Progress p) {
                started.set(true);
                while (!p.isCancelled()) {
                    Thread.onSpinWait();
                }
                throw new CancellationException();
            }
        };
        BackgroundTasks tasks = new BackgroundTasks();
        HistoryViewModel[] own = new HistoryViewModel[1];
        Fx.run(() -> {
            own[0] = new HistoryViewModel(w(), slow, tasks);
            own[0].evaluate(HistoryViewModel.VALIDATION);
        });
        Fx.waitUntil(10, started::get);
        assertTrue(own[0].evaluatingProperty().get());
        Fx.run(own[0]::stopEvaluation);
        Fx.waitUntil(10, () -> !own[0].evaluatingProperty().get());
        assertEquals("Evaluation stopped.", own[0].statusProperty().get());
        assertEquals(List.of(), w().history());
        Fx.run(tasks::close);
    }

    @Test
    void recallBringsBackSettingsAdaptersAndWeightsAndCanBeUndone() {
        WeightTable t = w().weights();
        Fx.run(() -> h().keepCurrent());
        double[][][] first = t.values();
        Fx.run(() -> {
            t.applyPreset(WeightTable.Preset.RAMP_UP);
            w().adapters().get(1).enabledProperty().set(false);
            w().settings().strategyProperty().set(Recipe.Redundancy.Strategy.TIES);
            h().keepCurrent();
        });
        double[][][] second = t.values();
        HistoryEntry one = w().history().get(0);
        assertEquals(List.of("arith", "upper"), w().history().get(1).recipe().adapterNames());

        Fx.run(() -> h().recall(one));
        assertArrayEquals(first, t.values());
        assertTrue(w().adapters().stream().allMatch(AdapterEntry::isEnabled));
        assertEquals(Recipe.Redundancy.Strategy.NONE, w().settings().strategyProperty().get());
        assertEquals(one.recipe(), w().snapshot().toRecipe(true, null));
        assertTrue(h().canUndoRecallProperty().get());

        // the weights' part is one step of Edit > Undo
        Fx.run(vm::undo);
        assertArrayEquals(second, t.values());
        Fx.run(vm::redo);
        assertArrayEquals(first, t.values());

        Fx.run(() -> h().undoRecall());
        assertArrayEquals(second, t.values());
        assertFalse(w().adapters().get(1).isEnabled());
        assertEquals(Recipe.Redundancy.Strategy.TIES, w().settings().strategyProperty().get());
        assertFalse(h().canUndoRecallProperty().get());
        assertEquals(w().history().get(1).recipe(), w().snapshot().toRecipe(true, null));
    }

    @Test
    void perModuleWeightsAreKeptRecalledAndPutBackByUndoRecall() {
        WeightTable t = w().weights();
        io.laem.engine.model.ModuleKind k = io.laem.engine.model.ModuleKind.K_PROJ;
        io.laem.engine.merge.MergeWeights pm = io.laem.engine.merge.MergeWeights.ofModules(t.series(), t.numLayers(),
                (e, l, m) -> 0.1 + 0.1 * e + 0.05 * m.ordinal());
        io.laem.engine.merge.MergeWeights pm2 = io.laem.engine.merge.MergeWeights.ofModules(t.series(), t.numLayers(),
                (e, l, m) -> 0.2 + 0.01 * l + 0.03 * m.ordinal());
        HistoryEntry[] kept = new HistoryEntry[2];
        Fx.run(() -> {
            t.show(pm, false);
            h().keepCurrent();
            kept[0] = w().history().getLast();
            t.applyPreset(WeightTable.Preset.UNIFORM);
            h().keepCurrent();
            kept[1] = w().history().getLast();
            t.show(pm2, false);
        });
        assertTrue(kept[0].recipe().weights().values().stream().anyMatch(sc -> sc instanceof io.laem.engine.merge.recipe.Schedule.PerModule),
                kept[0].recipe().weights().toString());
        Fx.run(() -> h().recall(kept[1]));
        assertFalse(t.modulesProperty().get());
        Fx.run(() -> h().undoRecall());
        assertTrue(t.modulesProperty().get(), "undoing the recall puts the held per-module weights back");
        assertEquals(pm2.get(0, 2, k), t.snapshot().get(0, 2, k), 1e-12);
        Fx.run(() -> h().recall(kept[0]));
        assertTrue(t.modulesProperty().get());
        assertEquals(pm.get(0, 2, k), t.snapshot().get(0, 2, k), 1e-12);
        assertEquals(pm.get(0, 2, io.laem.engine.model.ModuleKind.DOWN_PROJ), t.snapshot().get(0, 2, io.laem.engine.model.ModuleKind.DOWN_PROJ), 1e-12);
    }

    @Test
    void aDisabledAdapterKeepsItsCurveThroughARecall() {
        Fx.run(() -> {
            w().adapters().get(2).enabledProperty().set(false);
            h().keepCurrent();
            w().adapters().get(2).enabledProperty().set(true);
            w().weights().set(io.laem.engine.model.ModuleKind.Group.ATTN, 2, 0, 0.9, false);
        });
        double[] upper = w().weights().values()[0][2].clone();
        Fx.run(() -> h().recall(w().history().get(0)));
        assertFalse(w().adapters().get(2).isEnabled());
        assertArrayEquals(upper, w().weights().values()[0][2], 1e-12);
    }

    @Test
    void labelsAreEditedAndTwoEntriesDiffPerLayer() {
        Fx.run(() -> {
            h().keepCurrent();
            w().weights().applyPreset(WeightTable.Preset.RAMP_UP);
            h().keepCurrent();
        });
        HistoryEntry a = w().history().get(0);
        Fx.run(() -> h().rename(a, "  uniform start "));
        assertEquals("uniform start", w().history().get(0).label());
        assertEquals(a.recipe(), w().history().get(0).recipe());
        assertNull(h().diffProperty().get());
        Fx.run(() -> {
            h().compareWithProperty().set(w().history().get(0));
            h().selectedProperty().set(w().history().get(1));
        });
        WeightDiff d = h().diffProperty().get();
        assertNotNull(d);
        assertEquals(List.of("arith attn", "arith mlp", "reverse attn", "reverse mlp", "upper attn", "upper mlp"), d.rows());
        // ramp up: 0 at layer 0, 2/3 at the last layer; uniform 1/3
        assertEquals(-1.0 / 3, d.values()[0][0], 1e-9);
        assertEquals(1.0 / 3, d.values()[0][5], 1e-9);
        Fx.run(() -> h().remove(w().history().get(0)));
        assertNull(h().diffProperty().get());
        Fx.run(() -> h().keepCurrent());
        assertEquals(List.of(2, 3), w().history().stream().map(HistoryEntry::number).toList());
    }

    @Test
    void historyColorsAndADisabledAdapterSurviveSaveAndReopen() {
        Fx.run(() -> {
            h().keepCurrent();
            w().adapters().get(0).colorProperty().set(Color.web("#123456"));
            w().weights().set(io.laem.engine.model.ModuleKind.Group.ATTN, 1, 0, 0.7, false);
            w().adapters().get(1).enabledProperty().set(false);
            h().rename(w().history().get(0), "first");
        });
        double[][][] values = w().weights().values();
        List<HistoryEntry> history = List.copyOf(w().history());
        Path saved = tmp.resolve("saved.yaml");
        Fx.run(() -> vm.saveTo(saved));
        Fx.run(() -> vm.openSession(saved, p -> {}));
        Fx.waitUntil(30, () -> saved.equals(w().fileProperty().get()) && !w().isDirty());
        assertEquals(history, w().history());
        assertEquals(Color.web("#123456"), w().adapters().get(0).colorProperty().get());
        assertFalse(w().adapters().get(1).isEnabled(), "a disabled adapter comes back disabled");
        assertArrayEquals(values, w().weights().values(), "keeping its weight");
    }

    @Test
    void anExportedEntryMergesHeadlessBitForBitAsTheWindowExportedIt() throws Exception {
        Fx.run(() -> {
            w().weights().applyPreset(WeightTable.Preset.RAMP_DOWN);
            w().adapters().get(2).enabledProperty().set(false);
            w().settings().strategyProperty().set(Recipe.Redundancy.Strategy.TIES);
        });
        Path gui = tmp.resolve("gui");
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAdapter(gui, p -> done[0] = p));
        Fx.waitUntil(60, () -> done[0] != null);
        HistoryEntry e = w().history().get(0);
        assertEquals(HistoryEntry.Source.EXPORTED, e.source());
        assertEquals("exported peft to gui", e.label());
        // the session moves on, then is saved: entry 1 is still the exported merge
        Fx.run(() -> {
            w().weights().applyPreset(WeightTable.Preset.UNIFORM);
            w().adapters().get(2).enabledProperty().set(true);
        });
        Path saved = tmp.resolve("moved-on.yaml");
        Fx.run(() -> vm.saveTo(saved));
        Path cli = tmp.resolve("cli");
        int code = io.laem.cli.LaemCli.commandLine().execute("merge", saved.toString(), "--history", "1", "--out", cli.toString());
        assertEquals(0, code);
        assertArrayEquals(Files.readAllBytes(gui.resolve(LoraAdapter.WEIGHTS)), Files.readAllBytes(cli.resolve(LoraAdapter.WEIGHTS)));
        assertArrayEquals(Files.readAllBytes(gui.resolve("adapter_config.json")), Files.readAllBytes(cli.resolve("adapter_config.json")));
    }
}
