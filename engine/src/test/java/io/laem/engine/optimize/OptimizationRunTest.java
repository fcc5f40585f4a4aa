package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizationRunTest {
    static final List<String> ENTRIES = List.of("a", "b");
    static final int L = 3;
    /** The known optimum: a per-layer profile per entry, inside the bounds. */
    static final MergeWeights TARGET = MergeWeights.of(ENTRIES, L, (e, l, g) -> e == 0 ? 0.2 + 0.3 * l : 1.1 - 0.4 * l);

    /** Two tasks, each a quadratic bowl in one entry's weights; the sum is minimal at TARGET (value 0). */
    static final TaskScorer BOWL = (w, c) -> {
        double[] loss = new double[2];
        for (int e = 0; e < 2; e++) {
            for (int l = 0; l < L; l++) {
                for (Group g : Group.values()) {
                    double d = w.get(e, l, g) - TARGET.get(e, l, g);
                    loss[e] += d * d;
                }
            }
        }
        return Map.of("task-a", loss[0], "task-b", loss[1]);
    };

    static final Objective OBJECTIVE = TaskLossObjective.of(BOWL);

    @Test
    void cmaEsFindsTheKnownOptimum() {
        RunResult r = OptimizationRun.builder(OBJECTIVE, Parameterization.perLayer(ENTRIES, L))
                .budget(1500).seed(7).build().run();
        assertFalse(r.cancelled());
        assertTrue(r.bestWeights().maxAbsDifference(TARGET) < 1e-3, () -> "found " + r.bestWeights());
        assertTrue(r.best().value() < 1e-6);
    }

    @Test
    void cmaEsIsDeterministicForASeed() {
        var p = Parameterization.perLayer(ENTRIES, L);
        RunResult a = OptimizationRun.builder(OBJECTIVE, p).budget(60).seed(3).build().run();
        RunResult b = OptimizationRun.builder(OBJECTIVE, p).budget(60).seed(3).build().run();
        assertArrayEquals(a.bestX(), b.bestX());
        assertEquals(60, a.evaluations());
    }

    @Test
    void randomSearchGetsClose() {
        // per-task: the best constant per entry is each entry's mean target (0.5 and 0.7)
        RunResult r = OptimizationRun.builder(OBJECTIVE, Parameterization.perTask(ENTRIES, L))
                .method(SearchMethod.RANDOM).budget(400).seed(1).build().run();
        assertArrayEquals(new double[] {0.5, 0.7}, r.bestX(), 0.1);
        assertEquals(400, r.evaluations());
    }

    @Test
    void warmStartIsTheFirstCandidateAndNeverBeaten() {
        for (SearchMethod m : SearchMethod.values()) {
            List<CandidateEvent> events = new ArrayList<>();
            MergeWeights warm = Parameterization.perLayer(ENTRIES, L).decode(new double[] {0.25, 0.5, 0.75, 1.0, 0.75, 0.5});
            RunResult r = OptimizationRun.builder(OBJECTIVE, Parameterization.perLayer(ENTRIES, L))
                    .method(m).budget(20).seed(5).warmStart(warm).listener(new RunListener() {
                        @Override
                        public void candidate(CandidateEvent e) {
                            events.add(e);
                        }
                    }).build().run();
            assertEquals(0, events.getFirst().weights().maxAbsDifference(warm), 1e-12, m.id());
            assertTrue(r.best().value() <= events.getFirst().evaluation().value(), m.id());
            assertEquals(20, events.size());
        }
    }

    @Test
    void cancelFromAnotherThreadStopsPromptly() throws Exception {
        CountDownLatch firstCandidate = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        // each evaluation takes ~20 ms in small cancellable steps, as a real objective between batches
        Objective slow = (w, c) -> {
            for (int i = 0; i < 20; i++) {
                c.check();
                sleep(1);
            }
            return OBJECTIVE.evaluate(w, c);
        };
        OptimizationRun run = OptimizationRun.builder(slow, Parameterization.perLayer(ENTRIES, L)).budget(100_000)
                .listener(new RunListener() {
                    @Override
                    public void candidate(CandidateEvent e) {
                        firstCandidate.countDown();
                    }

                    @Override
                    public void finished(RunResult r) {
                        finished.incrementAndGet();
                    }
                }).build();
        var result = new java.util.concurrent.CompletableFuture<RunResult>();
        Thread t = Thread.ofPlatform().start(() -> result.complete(run.run()));
        assertTrue(firstCandidate.await(10, TimeUnit.SECONDS));
        run.cancel();
        RunResult r = result.get(5, TimeUnit.SECONDS);
        t.join();
        assertTrue(r.cancelled());
        assertTrue(r.evaluations() >= 1 && r.evaluations() < 100_000);
        assertNotNull(r.best());
        assertEquals(1, finished.get());
        assertEquals(r.evaluations(), r.history().size());
    }

    @Test
    void cancelBeforeStartEvaluatesNothing() {
        OptimizationRun run = OptimizationRun.builder(OBJECTIVE, Parameterization.perTask(ENTRIES, L)).build();
        run.cancel();
        RunResult r = run.run();
        assertTrue(r.cancelled());
        assertEquals(0, r.evaluations());
        assertEquals(null, r.best());
    }

    @Test
    void historyCsvHasOneRowPerCandidate(@TempDir Path dir) throws Exception {
        var p = Parameterization.perTask(ENTRIES, L);
        RunResult r = OptimizationRun.builder(OBJECTIVE, p).budget(12).seed(2).label("plan-none").build().run();
        Path csv = dir.resolve("history.csv");
        r.history().writeCsv(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("evaluation,label,seconds,value,best_value,task:task-a,task:task-b,a,b", lines.getFirst());
        assertEquals(13, lines.size());
        double best = Double.POSITIVE_INFINITY;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            assertEquals(Integer.toString(i - 1), f[0]);
            assertEquals("plan-none", f[1]);
            double value = Double.parseDouble(f[3]);
            best = Math.min(best, value);
            assertEquals(best, Double.parseDouble(f[4]));
            assertEquals(value, Double.parseDouble(f[5]) / 2 + Double.parseDouble(f[6]) / 2, 1e-12);
            // the candidate's coordinates reproduce its value
            double[] x = {Double.parseDouble(f[7]), Double.parseDouble(f[8])};
            assertEquals(value, OBJECTIVE.evaluate(p.decode(x), new CancellationToken()).value(), 1e-12);
        }
        assertEquals(best, r.best().value());
    }

    @Test
    void eventsCarryBestSoFarAndRate() {
        List<CandidateEvent> events = new ArrayList<>();
        OptimizationRun.builder(OBJECTIVE, Parameterization.curve(2, ENTRIES, L)).budget(30).listener(new RunListener() {
            @Override
            public void candidate(CandidateEvent e) {
                events.add(e);
            }
        }).build().run();
        double best = Double.POSITIVE_INFINITY;
        for (CandidateEvent e : events) {
            best = Math.min(best, e.evaluation().value());
            assertEquals(best, e.best().value());
            assertEquals(e.improved(), e.evaluation() == e.best());
            assertTrue(e.evaluationsPerSecond() > 0);
            assertEquals(30, e.budget());
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
