package io.laem.app.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.BackendDelegate;
import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.ScriptedBackend;
import io.laem.app.shell.MainViewModel;
import io.laem.engine.LaemException;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.live.MergeAgreement;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKind.Group;
import io.laem.engine.optimize.Parameterization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workbench's one live merge on the fixture kit: what it applies equals what the GUI exports for
 * every way of editing the weights, and its lifetime around jobs, another base and a closing window.
 */
class LiveMergeLifetimeTest {
    @TempDir
    static Path kits;
    static Path session;

    @TempDir
    Path tmp;
    MainViewModel vm;
    FakeDialogs dialogs = new FakeDialogs();

    @BeforeAll
    static void kit() throws Exception {
        Fx.start();
        session = FixtureKit.write(kits.resolve("kit"));
    }

    @AfterEach
    void close() {
        if (vm != null) {
            Fx.run(vm::close);
        }
    }

    private <B extends Backend> B open(B backend) {
        Fx.run(() -> vm = new MainViewModel(new Workspace(), backend, new BackgroundTasks(), dialogs,
                new AppPreferences(tmp.resolve("prefs.properties"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3 && !vm.tasks().isBusy());
        return backend;
    }

    /** Every way the Weights view edits weights: per task, a curve, per layer, per layer and module group. */
    @Test
    void liveCoefficientsEqualTheExportedMergeForEveryWayOfEditing() throws Exception {
        EngineBackend backend = open(new EngineBackend());
        SplittableRandom rnd = new SplittableRandom(9);
        record Edit(String name, WeightTable.Mode mode, int points, boolean split) {}
        List<Edit> edits = List.of(new Edit("per task", WeightTable.Mode.CONTROL_POINTS, 1, false),
                new Edit("curve", WeightTable.Mode.CONTROL_POINTS, 3, false),
                new Edit("per layer", WeightTable.Mode.PER_LAYER, 0, false),
                new Edit("per layer and kind", WeightTable.Mode.PER_LAYER, 0, true));
        for (int i = 0; i < edits.size(); i++) {
            Edit e = edits.get(i);
            boolean consensus = i % 2 == 1; // half of them with TIES and a consensus module (a shared series)
            Fx.run(() -> {
                WeightTable t = vm.workspace().weights();
                if (consensus) {
                    vm.workspace().settings().strategyProperty().set(Recipe.Redundancy.Strategy.TIES);
                    vm.workspace().settings().sharedModeProperty().set(Recipe.Shared.Mode.CONSENSUS);
                    vm.workspace().settings().sharedRankProperty().set(2);
                } else {
                    vm.workspace().settings().strategyProperty().set(Recipe.Redundancy.Strategy.NONE);
                    vm.workspace().settings().sharedModeProperty().set(Recipe.Shared.Mode.NONE);
                }
                t.setMode(e.mode(), e.points());
                t.setSplit(e.split());
                for (int s = 0; s < t.series().size(); s++) {
                    for (int p = 0; p < t.points(); p++) {
                        for (Group g : e.split() ? List.of(Group.ATTN, Group.MLP) : List.of(Group.ATTN)) {
                            t.set(g, s, p, rnd.nextDouble(-0.5, 1.5), false);
                        }
                    }
                }
            });
            Path out = tmp.resolve("merged-" + i);
            Path[] done = new Path[1];
            Fx.run(() -> vm.export().exportAdapter(out, p -> done[0] = p));
            Fx.waitUntil(60, () -> done[0] != null || !dialogs.errors.isEmpty());
            assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
            // the Playground's merge column puts the session's merge into the live merge
            SessionData s = snapshot();
            backend.generate(s, Generation.Variant.merge(), "ab", new Generation.Settings(1, false, 1, 1, 0, false), x -> {}, Progress.NONE);
            LiveMerge live = backend.liveMerge();
            try (LiveMerge.Use u = live.use("test")) {
                double diff = MergeAgreement.maxRelativeDifference(live, out);
                assertTrue(diff < 1e-5, e.name() + ": the live merge differs from the exported adapter by " + diff);
                // the weights the live merge shows are the Weights view's, entry by entry
                for (int en = 0; en < live.weights().entries().size(); en++) {
                    int series = s.weights().indexOf(live.weights().entries().get(en));
                    for (Group g : Group.values()) {
                        org.junit.jupiter.api.Assertions.assertArrayEquals(s.weights().layerWeights(series, g),
                                live.weights().layerWeights(en, g), 0, e.name());
                    }
                }
            }
        }
        assertEquals(1, backend.modelsLoaded());
    }

    @Test
    void closingTheWindowDoesNotWaitForTheRunAndFreesTheModelAfterIt() {
        EngineBackend backend = open(new EngineBackend());
        Fx.run(() -> {
            vm.optimize().parameterizationProperty().set(Parameterization.Kind.PER_LAYER);
            vm.optimize().budgetProperty().set(100_000);
            vm.optimize().start();
        });
        Fx.waitUntil(120, () -> vm.optimize().events().size() >= 2);
        LiveMerge live = backend.liveMerge();
        long[] took = new long[1];
        Fx.run(() -> {
            long t0 = System.nanoTime();
            vm.close();
            took[0] = System.nanoTime() - t0;
        });
        vm = null;
        assertTrue(took[0] < TimeUnit.MILLISECONDS.toNanos(500), "closing took " + took[0] / 1e6 + " ms on the FX thread");
        // the run is cancelled, stops within an evaluation, and only then is the model freed
        Fx.waitUntil(60, live::isFreed);
        assertTrue(live.isClosed());
    }

    @Test
    void anotherBaseWaitsForTheJobOnTheOldOneWhichKeepsItsModel() throws Exception {
        Path other = FixtureKit.write(tmp.resolve("other"));
        EngineBackend backend = new EngineBackend();
        try {
            SessionData a = SessionFiles.read(session);
            SessionData b = SessionFiles.read(other);
            List<Integer> seen = new CopyOnWriteArrayList<>();
            boolean[] stop = {false};
            Progress cancellable = new Progress() {
                @Override
                public void update(double done, double total, String message) {}

                @Override
                public boolean isCancelled() {
                    return stop[0];
                }
            };
            CompletableFuture<Optimization.Outcome> run = CompletableFuture.supplyAsync(() -> backend.optimize(a,
                    new Optimization.Settings(Parameterization.Spec.of(Parameterization.Kind.PER_TASK), 100_000, 1, 0),
                    e -> seen.add(e.evaluation()), cancellable), POOL);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (seen.size() < 2 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(seen.size() >= 2, "the run did not start");
            LiveMerge old = backend.liveMerge();

            // another base: a model of its own, while the run keeps reading the old one
            StringBuilder text = new StringBuilder();
            Generation.Stats st = backend.generate(b, Generation.Variant.base(), "ab", new Generation.Settings(3, false, 1, 1, 0, false),
                    text::append, Progress.NONE);
            assertTrue(st.tokens() > 0);
            LiveMerge now = backend.liveMerge();
            assertNotSame(old, now);
            assertEquals(2, backend.modelsLoaded());
            assertTrue(old.isClosed(), "the old model is to be closed");
            assertFalse(old.isFreed(), "but not while the run uses it");
            int before = seen.size();
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (seen.size() < before + 2 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(seen.size() >= before + 2, "the run stopped evaluating on the old model");

            stop[0] = true;
            ended(run);
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!old.isFreed() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(old.isFreed(), "the old model is freed once the run let go of it");
            assertFalse(now.isClosed());
        } finally {
            backend.close();
        }
    }

    @Test
    void aFailedExportShowsTheEnginesMessageAndWritesNothing() {
        Path out = tmp.resolve("out");
        Backend failing = new BackendDelegate(new ScriptedBackend(1)) {
            @Override
            public io.laem.engine.merge.MergeSummary exportAdapter(SessionData s, io.laem.engine.io.OutputTarget to, Progress p) {
                throw new LaemException(to.path() + ": No space left on device");
            }
        };
        open(failing);
        Fx.run(() -> vm.export().exportAdapter(out, p -> {}));
        Fx.waitUntil(30, () -> !dialogs.errors.isEmpty());
        assertEquals(List.of("Exporting adapter failed: " + out + ": No space left on device"), dialogs.errors);
        assertTrue(dialogs.infos.isEmpty());
        assertFalse(Files.exists(out));
    }

    /** Waits for a stopped run: it keeps its best so far (an outcome) or ends cancelled, never with another error. */
    private static void ended(CompletableFuture<?> f) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertTrue(Errors.isCancellation(e.getCause()), e.getCause().toString());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    private SessionData snapshot() {
        SessionData[] s = new SessionData[1];
        Fx.run(() -> s[0] = vm.workspace().snapshot());
        return s[0];
    }

    static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });
}
