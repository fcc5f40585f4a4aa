package io.laem.app.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.ScriptedBackend;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.WeightTable;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optimize view model on scripted runs: live events, animated weights, stop, apply. */
class OptimizeViewModelTest {
    @TempDir
    Path dir;
    MainViewModel vm;
    FakeDialogs dialogs = new FakeDialogs();
    ScriptedBackend backend = new ScriptedBackend(20);

    @BeforeEach
    void open() throws Exception {
        Fx.start();
        Path session = FixtureKit.write(dir.resolve("kit"));
        Fx.run(() -> vm = new MainViewModel(new Workspace(), backend, new BackgroundTasks(), dialogs,
                new AppPreferences(dir.resolve("prefs"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3 && !vm.tasks().isBusy());
    }

    @AfterEach
    void close() {
        Fx.run(vm::close);
    }

    /** A run started without changing anything searches what laem optimize searches by default, with its budget. */
    @Test
    void theSearchSpaceAndBudgetStartAsTheCommandLinesDefaults() {
        OptimizeViewModel o = vm.optimize();
        io.laem.engine.optimize.OptimizeSettings cli = new io.laem.engine.optimize.OptimizeSettings();
        assertEquals(io.laem.engine.optimize.Parameterization.Kind.PER_LAYER_MODULE, o.parameterizationProperty().get());
        assertEquals(cli.param().kind(), o.parameterizationProperty().get());
        assertEquals(cli.budget(), o.budgetProperty().get());
    }

    @Test
    void bestWeightsAnimateAndStopKeepsThem() {
        OptimizeViewModel o = vm.optimize();
        Fx.run(() -> {
            o.budgetProperty().set(1000);
            o.start();
        });
        Fx.waitUntil(30, () -> o.events().size() >= 5);
        Fx.run(o::stop);
        Fx.waitUntil(30, () -> !o.runningProperty().get());
        int n = o.events().size();
        assertTrue(n >= 5 && n < 1000, "evaluations: " + n);
        assertTrue(o.summaryProperty().get().startsWith("Stopped after"), o.summaryProperty().get());
        // the table shows the best weights so far, per layer: every scripted evaluation improves, and its weight of
        // series 1 is 0.2 + 0.01 e, so the table holds exactly the last shown event's (events after stop are ignored)
        WeightTable t = vm.workspace().weights();
        assertEquals(WeightTable.Mode.PER_LAYER, t.mode());
        int last = o.events().get(n - 1).evaluation();
        assertEquals(n, last, "events are shown in order, none skipped");
        assertEquals(0.2 + 0.01 * last, t.get(Group.ATTN, 1, 3), 1e-12);
        assertEquals(o.events().get(n - 1).bestWeights().get(1, 3, Group.ATTN), t.get(Group.ATTN, 1, 3), 0);
        // one undo step back to the control points: the run's weights shown per layer, coalesced
        Fx.run(t::undo);
        assertEquals(WeightTable.Mode.CONTROL_POINTS, t.mode());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    void taskBalanceGoesIntoTheRunsObjective() {
        OptimizeViewModel o = vm.optimize();
        assertEquals(java.util.List.of("arith", "reverse", "upper"), o.taskWeights().stream().map(OptimizeViewModel.TaskWeight::task).toList());
        o.taskWeights().forEach(t -> assertEquals(1.0, t.weightProperty().get()));
        Fx.run(() -> {
            o.taskWeights().get(1).weightProperty().set(3.0);
            o.taskWeights().get(2).weightProperty().set(-1.0); // refused: a weight is >= 0
            o.budgetProperty().set(3);
            o.start();
        });
        Fx.waitUntil(30, () -> !o.runningProperty().get() && o.comparisonProperty().get() != null);
        assertEquals(java.util.Map.of("reverse", 3.0), backend.lastOptimize.taskWeights(), "only weights other than 1 are sent");
        assertEquals(1.0, o.taskWeights().get(2).weightProperty().get());
    }

    @Test
    void tradeOffPairsTheMergeWithEachTasksAdapterOnTheFirstColumnOfTheTask() {
        var c = new io.laem.app.core.Optimization.Comparison("test split", java.util.List.of("a EM", "a NLL", "b EM", "b NLL"),
                java.util.List.of("base", "a", "task arithmetic (tuned)", "LAEM"),
                new double[][] {{0, 5, 0, 5}, {0.9, 0.1, 0.2, 3}, {0.5, 1, 0.5, 1}, {0.81, 0.2, 0.7, 0.4}});
        var t = OptimizeViewModel.tradeOffOf(c, java.util.List.of("a", "b"));
        assertEquals(new io.laem.app.core.Optimization.TaskTradeOff("a", 0.81, 0.9), t.get(0));
        assertEquals(0.9, t.get(0).ratio(), 1e-12);
        assertEquals("b", t.get(1).task());
        assertEquals(0.7, t.get(1).merged());
        assertTrue(Double.isNaN(t.get(1).adapter()), "no adapter named b");
        assertTrue(OptimizeViewModel.tradeOffOf(null, java.util.List.of("a")).isEmpty());
    }

    @Test
    void aFinishedRunFillsTheComparisonAndApplies() {
        OptimizeViewModel o = vm.optimize();
        Fx.run(() -> {
            o.budgetProperty().set(4);
            o.start();
        });
        Fx.waitUntil(30, () -> !o.runningProperty().get() && o.comparisonProperty().get() != null);
        assertEquals(4, o.events().size());
        assertEquals(java.util.List.of("base", "arith", "reverse", "upper", "uniform", "TIES", "LAEM"), o.comparisonProperty().get().methods());
        assertEquals(0.14, o.events().getLast().bestWeights().get(0, 0, Group.ATTN), 1e-12);
        // the per-task trade-off: LAEM's 0.8 against each task's own adapter's 1.0
        var trade = o.tradeOffProperty().get();
        assertEquals(java.util.List.of("arith", "reverse", "upper"), trade.stream().map(io.laem.app.core.Optimization.TaskTradeOff::task).toList());
        trade.forEach(t -> assertEquals(0.8, t.ratio(), 1e-12, t.task()));
        Fx.run(() -> vm.workspace().weights().set(Group.ATTN, 0, 0, 2.0, false));
        Fx.run(o::apply);
        assertEquals(0.14, vm.workspace().weights().get(Group.ATTN, 0, 0), 1e-9); // scripted best: 0.1 + 0.01 * 4
    }
}
