package io.laem.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.BackendDelegate;
import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import io.laem.engine.compare.Cell;
import io.laem.engine.compare.GridResult;
import io.laem.engine.compare.GridRunner;
import io.laem.engine.compare.GridSpec;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.HfModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison grid's view model on the real engine over the fixture kit (and a slow scripted grid for Stop). */
class CompareViewModelTest {
    @TempDir
    static Path dir;
    static MainViewModel vm;
    static CompareViewModel c;
    static FakeDialogs dialogs = new FakeDialogs();
    static EngineBackend engine;
    /** Cells of the scripted grid take this long; 0: the real engine fills them. */
    static volatile long slowMillis;

    @BeforeAll
    static void open() throws Exception {
        Fx.start();
        Path session = FixtureKit.write(dir.resolve("kit"));
        engine = new EngineBackend();
        BackendDelegate backend = new BackendDelegate(engine) {
            @Override
            public GridResult compare(SessionData s, GridSpec g, GridRunner.Listener l, Progress p) {
                return slowMillis == 0 ? super.compare(s, g, l, p) : slowGrid(g, l, p);
            }
        };
        Fx.run(() -> vm = new MainViewModel(new Workspace(), backend, new BackgroundTasks(), dialogs,
                new AppPreferences(dir.resolve("prefs"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3 && !vm.tasks().isBusy());
        c = vm.compare();
    }

    /** Fills each cell after a pause, looking at the cancel flag between tokens as the engine does. */
    static GridResult slowGrid(GridSpec g, GridRunner.Listener l, Progress p) {
        GridResult r = new GridResult(g);
        for (int col = 0; col < g.columns().size(); col++) {
            for (int row = 0; row < g.rows().size(); row++) {
                l.started(row, col);
                for (int t = 0; t < 5; t++) {
                    if (p.isCancelled()) {
                        throw new CancellationException();
                    }
                    try {
                        Thread.sleep(slowMillis / 5);
                    } catch (InterruptedException e) {
                        throw new CancellationException();
                    }
                    l.token(row, col, "x");
                }
                Cell cell = new Cell(row, col, "xxxxx", 5, Cell.Check.NONE, "", 0);
                r.put(cell);
                l.cell(cell);
            }
        }
        return r;
    }

    @AfterAll
    static void close() {
        Fx.run(vm::close);
    }

    @BeforeEach
    void reset() {
        slowMillis = 0;
        dialogs.errors.clear();
        Fx.run(() -> {
            c.promptsProperty().set("");
            c.sweepProperty().set("");
            c.examplesPerTaskProperty().set(0);
            c.maxTokensProperty().set(6);
            c.columnChoices().forEach(x -> x.selectedProperty().set(true));
            c.taskChoices().forEach(x -> x.selectedProperty().set(true));
        });
    }

    /** Greedy text of the model with one adapter (or none) at weight 1, straight from the engine. */
    static String reference(String adapter, String prompt, int max) {
        try (HfModel m = HfModel.open(dir.resolve("kit/base")); HfTokenizer tok = HfTokenizer.load(m); Decoder d = Decoder.load(m)) {
            if (adapter != null) {
                d.bank().add("x", LoraAdapter.load(dir.resolve("kit/adapters/" + adapter)).modules().values());
                d.bank().setAll("x", 1.0);
            }
            return new Generator(d, tok).generate(prompt, Generator.Options.greedy(max), (id, t) -> {}, () -> false).text();
        }
    }

    static List<String> names(List<CompareViewModel.Choice> cs) {
        return cs.stream().map(CompareViewModel.Choice::name).toList();
    }

    @Test
    void choicesFollowTheSessionAndKeepTheirTicks() {
        assertEquals(List.of("base", "arith", "reverse", "upper", "current", "MoA"), names(c.columnChoices()));
        assertEquals(FixtureKit.TASKS, names(c.taskChoices()));
        Fx.run(() -> {
            c.columnChoices().get(2).selectedProperty().set(false); // reverse alone: off
            vm.workspace().adapters().get(0).enabledProperty().set(false); // arith disabled: no column, and MoA lacks an expert
        });
        assertEquals(List.of("base", "reverse", "upper", "current"), names(c.columnChoices()));
        assertFalse(c.columnChoices().get(1).isSelected(), "the tick stays off");
        Fx.run(() -> vm.workspace().adapters().get(0).enabledProperty().set(true));
        assertEquals(List.of("base", "arith", "reverse", "upper", "current", "MoA"), names(c.columnChoices()));
        assertFalse(c.columnChoices().get(4 + 1).isSelected(), "MoA starts off: it trains a router");
    }

    @Test
    void problemsWithTheChoicesAreSaidAndNothingRuns() {
        Fx.run(c::run);
        assertTrue(c.statusProperty().get().startsWith("no prompts"), c.statusProperty().get());
        Fx.run(() -> {
            c.promptsProperty().set("arith 1");
            c.sweepProperty().set("arith=x");
            c.run();
        });
        assertEquals("--sweep arith=x: weight 'x' is not a number", c.statusProperty().get());
        Fx.run(() -> {
            c.sweepProperty().set("");
            c.columnChoices().forEach(x -> x.selectedProperty().set(false));
            c.run();
        });
        assertTrue(c.statusProperty().get().startsWith("no merges"), c.statusProperty().get());
        assertFalse(c.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    void cellsStreamTheEnginesGreedyTextAndChecksCountMatches() throws Exception {
        Fx.run(() -> {
            c.promptsProperty().set("arith 1\n\nupper 2\n");
            c.examplesPerTaskProperty().set(2);
            c.taskChoices().get(1).selectedProperty().set(false); // not reverse
            c.columnChoices().get(5).selectedProperty().set(false); // not MoA
            c.sweepProperty().set("upper=0,1");
            c.run();
        });
        Fx.waitUntil(120, () -> !c.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        CompareViewModel.Sheet sheet = c.sheetProperty().get();
        GridSpec spec = sheet.spec();
        assertEquals(List.of("prompt 1", "prompt 2", "arith #1", "arith #2", "upper #1", "upper #2"),
                spec.rows().stream().map(GridSpec.Row::label).toList());
        assertEquals(List.of("base", "arith", "reverse", "upper", "current", "upper=0", "upper=1"),
                spec.columns().stream().map(GridSpec.Column::label).toList());
        assertTrue(c.result().complete());
        for (int r = 0; r < spec.rows().size(); r++) {
            String p = spec.rows().get(r).prompt();
            if (!spec.rows().get(r).hasReference()) {
                assertEquals(reference(null, p, 6), sheet.cell(r, 0).textProperty().get(), "base, " + p);
                assertEquals(reference("upper", p, 6), sheet.cell(r, 3).textProperty().get(), "upper alone, " + p);
                assertEquals(Cell.Check.NONE, sheet.cell(r, 0).checkProperty().get());
            } else {
                assertTrue(sheet.cell(r, 0).checkProperty().get() != Cell.Check.NONE, "a row with a reference is checked");
            }
            for (int col = 0; col < spec.columns().size(); col++) {
                assertEquals(CompareViewModel.CellView.State.DONE, sheet.cell(r, col).stateProperty().get());
                assertEquals(c.result().cell(r, col).text(), sheet.cell(r, col).textProperty().get());
            }
        }
        assertEquals(1.0, c.progressProperty().get(), 1e-12);
        assertTrue(c.statusProperty().get().startsWith("done: 42 of 42 cells; exact: base "), c.statusProperty().get());

        Path html = dir.resolve("grid.html");
        dialogs.paths.add(html);
        Fx.run(c::exportHtml);
        Fx.waitUntil(30, () -> Files.exists(html) && !vm.tasks().isBusy());
        String text = Files.readString(html);
        assertTrue(text.contains("<th>upper=1</th>") && text.contains("42 of 42 cells"), text);
        Path png = dir.resolve("grid.png");
        Fx.run(() -> c.setSnapshotSource(() -> new byte[] {1, 2, 3}));
        dialogs.paths.add(png);
        Fx.run(c::exportPng);
        Fx.waitUntil(30, () -> Files.exists(png) && !vm.tasks().isBusy());
        assertEquals(3, Files.readAllBytes(png).length);
        // an existing file is replaced only when the user confirms
        dialogs.paths.add(png);
        Fx.run(c::exportPng);
        assertEquals(1, dialogs.questions.size());
        assertEquals(3, Files.readAllBytes(png).length);
    }

    @Test
    void mergesKeptInTheHistoryAreColumns() {
        Fx.run(() -> vm.workspace().addHistory(io.laem.engine.session.HistoryEntry.Source.KEPT, "as it was"));
        CompareViewModel.Choice h = c.columnChoices().getLast();
        assertEquals(CompareViewModel.Choice.Kind.HISTORY, h.kind());
        assertFalse(h.isSelected(), "history columns start off");
        String label = h.label();
        assertTrue(label.matches("#\\d+ as it was"), label);
        Fx.run(() -> {
            vm.workspace().weights().set(io.laem.engine.model.ModuleKind.Group.ATTN, 0, 0, 2.0, false); // the current merge moves on
            c.promptsProperty().set("arith 1\nupper 2");
            c.columnChoices().forEach(x -> x.selectedProperty().set(x.kind() == CompareViewModel.Choice.Kind.CURRENT));
            h.selectedProperty().set(true);
            c.run();
        });
        Fx.waitUntil(60, () -> !c.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        CompareViewModel.Sheet sheet = c.sheetProperty().get();
        assertEquals(List.of("current", label), sheet.spec().columns().stream().map(GridSpec.Column::label).toList());
        var entry = vm.workspace().history().getLast();
        assertEquals(new io.laem.engine.compare.ColumnMerge.OfRecipe(entry.recipe()), sheet.spec().columns().get(1).merge());
        Fx.run(() -> vm.workspace().history().clear());
        assertTrue(c.columnChoices().stream().noneMatch(x -> x.kind() == CompareViewModel.Choice.Kind.HISTORY));
    }

    @Test
    void theMoaColumnRoutesEachPromptToATasksAdapter() {
        Fx.run(() -> {
            c.promptsProperty().set("arith 1\nupper 2");
            c.columnChoices().forEach(x -> x.selectedProperty().set(x.kind() == CompareViewModel.Choice.Kind.MOA));
            c.run();
        });
        Fx.waitUntil(120, () -> !c.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        CompareViewModel.Sheet sheet = c.sheetProperty().get();
        assertEquals(List.of("MoA"), sheet.spec().columns().stream().map(GridSpec.Column::label).toList());
        for (int r = 0; r < 2; r++) {
            String note = sheet.cell(r, 0).noteProperty().get();
            assertTrue(note.startsWith("routed to ") && FixtureKit.TASKS.contains(note.substring(10, note.indexOf(" (p"))), note);
        }
    }

    @Test
    void aGridAskedWhileAnotherJobHoldsTheModelSaysSoThenRuns() {
        Fx.run(() -> {
            c.promptsProperty().set("arith 1");
            c.columnChoices().forEach(x -> x.selectedProperty().set(x.kind() == CompareViewModel.Choice.Kind.BASE));
            c.run();
        });
        Fx.waitUntil(60, () -> !c.runningProperty().get());
        io.laem.engine.live.LiveMerge live = engine.liveMerge();
        try (io.laem.engine.live.LiveMerge.Use u = live.use("the test")) {
            Fx.run(c::run);
            Fx.waitUntil(30, () -> c.statusProperty().get().equals("waiting for the test to finish"));
            assertTrue(c.runningProperty().get());
        }
        Fx.waitUntil(60, () -> !c.runningProperty().get());
        assertEquals("done: 1 of 1 cells", c.statusProperty().get());
    }

    @Test
    void stopEndsTheRunAndKeepsTheFilledCells() {
        slowMillis = 200;
        Fx.run(() -> {
            c.promptsProperty().set("a\nb\nc");
            c.run();
        });
        Fx.waitUntil(30, () -> c.result() != null && c.result().filled() >= 2);
        Fx.run(c::stop);
        Fx.waitUntil(30, () -> !c.runningProperty().get());
        int filled = c.result().filled();
        assertTrue(filled >= 2 && filled < c.result().spec().cells(), "filled " + filled);
        CompareViewModel.Sheet sheet = c.sheetProperty().get();
        assertEquals(CompareViewModel.CellView.State.DONE, sheet.cell(0, 0).stateProperty().get());
        assertEquals(CompareViewModel.CellView.State.STOPPED, sheet.cell(2, sheet.spec().columns().size() - 1).stateProperty().get());
        assertTrue(c.statusProperty().get().startsWith("stopped: " + filled + " of "), c.statusProperty().get());
        assertTrue(dialogs.errors.isEmpty(), "Stop is no error: " + dialogs.errors);
    }
}
