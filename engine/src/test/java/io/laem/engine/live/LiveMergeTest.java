package io.laem.engine.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.laem.engine.LaemException;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.infer.Scorer;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.optimize.Parameterization;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveMergeTest {
    /** Threads of their own: the common pool may have a single worker on a 2-core machine. */
    static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/llama").toAbsolutePath();

    static Recipe recipe() {
        return Recipe.of(FIXTURE, List.of(new Recipe.AdapterRef("a", FIXTURE.resolve("adapter_a")),
                new Recipe.AdapterRef("b", FIXTURE.resolve("adapter_b"))));
    }

    /** TIES at half density with a rank-2 consensus module: a plan with a shared entry and re-factorized tasks. */
    static Recipe tiesConsensus() {
        return recipe().withRedundancy(new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, 0.5, 1.0, Recipe.Redundancy.Sign.TOTAL, 3))
                .withShared(new Recipe.Shared(Recipe.Shared.Mode.CONSENSUS, 2, null));
    }

    @Test
    void coefficientsEqualLaemMergeForEveryParameterization(@TempDir Path dir) {
        SplittableRandom rnd = new SplittableRandom(5);
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu()); LiveMerge.Use u = live.use("test")) {
            for (Recipe plan : List.of(recipe(), tiesConsensus())) {
                List<String> entries = LiveMerge.entries(live.plan(plan, ProgressListener.NONE, CancellationToken.NONE));
                for (Parameterization.Kind kind : Parameterization.Kind.values()) {
                    String spec = Parameterization.Spec.of(kind).toString();
                    Parameterization p = Parameterization.parse(spec, entries, live.numLayers());
                    double[] x = rnd.doubles(p.dimension(), -0.5, 2).toArray();
                    Recipe r = plan.withWeights(p.schedules(x));
                    Path file = dir.resolve(spec.replace(':', '-') + entries.size() + ".yaml");
                    RecipeYaml.write(r, file);
                    Path out = dir.resolve("merged-" + file.getFileName());
                    CliRun merge = CliRun.laem("merge", file.toString(), "--out", out.toString());
                    assertEquals(0, merge.code(), merge.err());

                    live.show(r, ProgressListener.NONE, CancellationToken.NONE);
                    // one representation: the recipe's schedules come back as the parameterization's weights
                    assertTrue(p.decode(x).maxAbsDifference(live.weights()) < 1e-12, spec);
                    double diff = MergeAgreement.maxRelativeDifference(live, out);
                    assertTrue(diff < 1e-5, spec + " on " + entries + ": live delta differs from laem merge by " + diff);
                }
            }
        }
    }

    @Test
    void showingOnePlanSilencesTheOthersAndTheBaseSilencesAll() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu()); LiveMerge.Use u = live.use("test")) {
            live.show(tiesConsensus(), ProgressListener.NONE, CancellationToken.NONE);
            var k = new io.laem.engine.model.ModuleKey(0, io.laem.engine.model.ModuleKind.Q_PROJ);
            float[] ties = live.delta(k);
            live.show(recipe(), MergeWeights.constant(List.of("a", "b"), live.numLayers(), 0.0));
            assertNull(live.delta(k), "every coefficient of the shown plan is 0 and the TIES plan is off");
            assertEquals(2, live.shownPlan().adapters().size());
            live.show(tiesConsensus(), ProgressListener.NONE, CancellationToken.NONE);
            assertEquals(0, maxDiff(ties, live.delta(k)), "the cached plan shows the same delta again");
            live.showBase();
            assertNull(live.delta(k));
            assertNull(live.weights());
        }
    }

    @Test
    void leastRecentlyUsedPlansLeaveTheBank() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu(), 0, 2); LiveMerge.Use u = live.use("test")) {
            live.plan(recipe(), ProgressListener.NONE, CancellationToken.NONE);
            live.plan(tiesConsensus(), ProgressListener.NONE, CancellationToken.NONE);
            assertEquals(2 + 3, u.decoder().bank().size());
            live.plan(recipe().withRedundancy(new Recipe.Redundancy(Recipe.Redundancy.Strategy.MAGNITUDE, 0.5, 1, Recipe.Redundancy.Sign.TOTAL, 0)),
                    ProgressListener.NONE, CancellationToken.NONE);
            assertEquals(3 + 2, u.decoder().bank().size(), "the first plan (2 entries) went, the TIES plan (3) stays");
        }
    }

    @Test
    void threadCountIsPutBackAfterEveryUseAndPlan() {
        Engine.getEngine("PyTorch");
        int original = JniUtils.getNumThreads();
        int outside = original == 2 ? 3 : 2;
        try {
            JniUtils.setNumThreads(outside);
            try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu(), 1, 4)) {
                assertEquals(outside, JniUtils.getNumThreads(), "opening (ND4J's start) keeps the count");
                try (LiveMerge.Use u = live.use("test")) {
                    assertEquals(1, JniUtils.getNumThreads(), "the policy's count while in use");
                    live.show(tiesConsensus(), ProgressListener.NONE, CancellationToken.NONE); // ND4J: SVDs of the consensus
                    assertEquals(1, JniUtils.getNumThreads(), "planning keeps the policy's count");
                    try (LiveMerge.Use again = live.use("nested", 3, CancellationToken.NONE, null)) {
                        assertEquals(3, JniUtils.getNumThreads());
                    }
                    assertEquals(1, JniUtils.getNumThreads());
                }
                assertEquals(outside, JniUtils.getNumThreads(), "closing the use puts the process's count back");
            }
            assertEquals(outside, JniUtils.getNumThreads());
        } finally {
            JniUtils.setNumThreads(original);
        }
    }

    @Test
    void aWaitingUserIsToldWhoHoldsTheModelAndCanGiveUp() throws Exception {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu())) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
                try (LiveMerge.Use u = live.use("the optimizer run")) {
                    held.countDown();
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }, POOL);
            assertTrue(held.await(30, TimeUnit.SECONDS));
            List<String> told = new CopyOnWriteArrayList<>();
            CancellationToken cancel = new CancellationToken();
            CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
                try (LiveMerge.Use u = live.use("generate", cancel, told::add)) {
                    throw new AssertionError("got the model while it was held");
                }
            }, POOL);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (told.isEmpty() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(List.of("waiting for the optimizer run to finish"), told);
            cancel.cancel();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> waiter.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof CancelledException, e.toString());
            release.countDown();
            holder.get(30, TimeUnit.SECONDS);
            try (LiveMerge.Use u = live.use("next")) {
                assertEquals("next", live.holder());
            }
            assertNull(live.holder());
        }
    }

    /** The loss and gradient of one example through the differentiable weights {@code w} of the recipe's plan. */
    private static MergeWeights gradient(LiveMerge live, LiveMerge.Use u, MergeWeights w, double[] loss) {
        Scorer scorer = new Scorer(u.decoder(), u.tokenizer());
        try (Scorer.Prepared p = scorer.prepare(List.of(new Scorer.Example("ab", "cd")));
                LiveMerge.Differentiable d = live.differentiable(recipe(), w)) {
            try (ai.djl.training.GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                loss[0] = d.scorer().meanTerm(p, Scorer.Term.NLL, 1.0, gc);
            }
            return d.gradient();
        }
    }

    /** Per-module weights get a gradient per module; at group-equal weights, a group's modules' gradients sum to the group's. */
    @Test
    void perModuleGradientSumsToThePerGroupGradient() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu()); LiveMerge.Use u = live.use("test")) {
            List<String> entries = LiveMerge.entries(live.plan(recipe(), ProgressListener.NONE, CancellationToken.NONE));
            MergeWeights groups = MergeWeights.of(entries, live.numLayers(), (e, l, g) -> 0.3 + 0.2 * e + 0.1 * l + 0.05 * g.ordinal());
            double[] lossGroups = new double[1];
            double[] lossModules = new double[1];
            MergeWeights gg = gradient(live, u, groups, lossGroups);
            MergeWeights gm = gradient(live, u, groups.in(MergeWeights.Layout.MODULES), lossModules);
            assertEquals(MergeWeights.Layout.MODULES, gm.layout());
            assertEquals(lossGroups[0], lossModules[0], 1e-6, "the same merge");
            boolean differ = false;
            for (int e = 0; e < entries.size(); e++) {
                for (int l = 0; l < live.numLayers(); l++) {
                    for (io.laem.engine.model.ModuleKind.Group g : io.laem.engine.model.ModuleKind.Group.values()) {
                        double sum = 0;
                        for (io.laem.engine.model.ModuleKind k : io.laem.engine.model.ModuleKind.values()) {
                            sum += k.group() == g ? gm.get(e, l, k) : 0;
                        }
                        assertEquals(gg.get(e, l, g), sum, 1e-5 * (1 + Math.abs(sum)), entries.get(e) + " layer " + l + " " + g);
                    }
                    differ |= gm.get(e, l, io.laem.engine.model.ModuleKind.Q_PROJ) != gm.get(e, l, io.laem.engine.model.ModuleKind.V_PROJ);
                }
            }
            assertTrue(differ, "modules of one group get gradients of their own");
        }
    }

    @Test
    void theFloat32CopyLivesAsLongAsTheUseThatMadeItAndComesBackTheSame() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu())) {
            MergeWeights w;
            MergeWeights first;
            double[] firstLoss = new double[1];
            try (LiveMerge.Use u = live.use("a run")) {
                assertTrue(u.decoder().parameters().isEmpty(), "the fixture runs on the mapped CPU forward: gradients need the copy");
                List<String> entries = LiveMerge.entries(live.plan(recipe(), ProgressListener.NONE, CancellationToken.NONE));
                w = MergeWeights.of(entries, live.numLayers(), (e, l, g) -> 0.3 + 0.2 * e + 0.1 * l + 0.05 * g.ordinal());
                first = gradient(live, u, w, firstLoss);
                assertTrue(live.holdsGradientCopy());
                try (LiveMerge.Use nested = live.use("nested")) {
                    assertTrue(live.holdsGradientCopy());
                }
                assertTrue(live.holdsGradientCopy(), "a nested use's end keeps the run's copy");
                double[] again = new double[1];
                assertEquals(0, first.maxAbsDifference(gradient(live, u, w, again)));
                assertEquals(1, live.gradientCopiesMade(), "one copy for the whole use");
            }
            assertFalse(live.holdsGradientCopy(), "freed when the use that made it ends");
            assertEquals(1, live.gradientCopiesMade());
            try (LiveMerge.Use u = live.use("the next run")) {
                double[] loss = new double[1];
                MergeWeights next = gradient(live, u, w, loss);
                assertEquals(2, live.gradientCopiesMade(), "made again for the next use");
                assertEquals(firstLoss[0], loss[0]);
                assertEquals(0, first.maxAbsDifference(next), "the same gradient from the new copy");
                assertTrue(first.maxAbsDifference(MergeWeights.constant(w.entries(), live.numLayers(), 0.0)) > 0, "a gradient that is not zero");
            }
            assertFalse(live.holdsGradientCopy());
        }
    }

    /** A float32 copy that would not fit the memory available is refused before it is made, with what it needs. */
    @Test
    void gradientsWhoseFloat32CopyCannotFitAreRefusedBeforeAnyCopy() {
        try (LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu())) {
            java.util.function.LongSupplier old = io.laem.engine.infer.MemoryAvailable.use(() -> 1_000_000L);
            try (LiveMerge.Use u = live.use("a run")) {
                List<String> entries = LiveMerge.entries(live.plan(recipe(), ProgressListener.NONE, CancellationToken.NONE));
                MergeWeights w = MergeWeights.constant(entries, live.numLayers(), 0.5);
                LaemException e = assertThrows(LaemException.class, () -> live.differentiable(recipe(), w).close());
                assertTrue(e.getMessage().startsWith("gradients: PyTorch's autograd needs a float32 copy of the model's weights ("), e.getMessage());
                assertTrue(e.getMessage().contains("but 0.0 GB of memory is available"), e.getMessage());
                assertFalse(live.holdsGradientCopy());
                assertEquals(0, live.gradientCopiesMade(), "refused before the copy was made");
                LaemException early = assertThrows(LaemException.class, () -> live.requireGradientFits("the gradient method", "try racing"));
                assertTrue(early.getMessage().endsWith("; try racing"), early.getMessage());
            } finally {
                io.laem.engine.infer.MemoryAvailable.use(old);
            }
            // with the machine's own figure the fixture's copy fits
            try (LiveMerge.Use u = live.use("a run")) {
                live.requireGradientFits("the gradient method", "");
            }
        }
    }

    @Test
    void closingWhileInUseFreesOnlyWhenTheUseEnds() throws Exception {
        LiveMerge live = LiveMerge.open(FIXTURE, Device.cpu());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        CompletableFuture<Double> job = CompletableFuture.supplyAsync(() -> {
            try (LiveMerge.Use u = live.use("evaluation")) {
                live.show(recipe(), ProgressListener.NONE, CancellationToken.NONE);
                held.countDown();
                closed.await(30, TimeUnit.SECONDS);
                // the model was asked to close meanwhile: its tensors are still there for this use
                return new Scorer(u.decoder(), u.tokenizer()).score(List.of(new Scorer.Example("ab", "cd"))).meanNll();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        }, POOL);
        assertTrue(held.await(30, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        live.closeWhenIdle();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "closeWhenIdle does not wait for the use");
        assertTrue(live.isClosed());
        closed.countDown();
        assertTrue(Double.isFinite(job.get(60, TimeUnit.SECONDS)));
        assertThrows(CancelledException.class, () -> live.use("after"));
        live.close(); // idempotent
        assertTrue(live.isFreed());
        assertNull(live.holder());
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
