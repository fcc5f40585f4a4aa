package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
            RunResult r = OptimizationRun.builder(objectiveFor(m), Parameterization.perLayer(ENTRIES, L))
                    .method(m).budget(20).seed(5).warmStart(warm).listener(new RunListener() {
                        @Override
                        public void candidate(CandidateEvent e) {
                            events.add(e);
                        }
                    }).build().run();
            assertEquals(0, events.getFirst().weights().maxAbsDifference(warm), 1e-12, m.id());
            assertTrue(r.best().value() <= events.getFirst().evaluation().value(), m.id());
            // the budget counts evaluations' worth: racing scores more candidates, a gradient step costs three
            int expected = m == SearchMethod.GRADIENT ? 7 : 20;
            assertTrue(m == SearchMethod.RACING ? events.size() >= 20 : events.size() == expected, m.id());
        }
    }

    private static Objective objectiveFor(SearchMethod m) {
        return switch (m) {
            case RACING -> PIECEWISE;
            case GRADIENT -> DIFFERENTIABLE;
            default -> OBJECTIVE;
        };
    }

    /**
     * The bowl in four pieces of "data": piece j's optimum is TARGET shifted by OFFSETS[j] (they sum to
     * zero), so each piece is a noisy view and the full objective's optimum is still TARGET.
     */
    static final double[] OFFSETS = {0.15, -0.1, 0.05, -0.1};
    static final PiecewiseObjective PIECEWISE = piecewise();

    private static PiecewiseObjective piecewise() {
        MergeWeights[] shown = new MergeWeights[1];
        Map<String, List<PiecewiseObjective.Piece>> pieces = new java.util.LinkedHashMap<>();
        for (int e = 0; e < 2; e++) {
            int entry = e;
            List<PiecewiseObjective.Piece> list = new ArrayList<>();
            for (double offset : OFFSETS) {
                list.add(c -> {
                    double loss = 0;
                    for (int l = 0; l < L; l++) {
                        for (Group g : Group.values()) {
                            double d = shown[0].get(entry, l, g) - TARGET.get(entry, l, g) - offset;
                            loss += d * d;
                        }
                    }
                    return new PiecewiseObjective.Sum(loss, 1);
                });
            }
            pieces.put("task-" + (char) ('a' + e), list);
        }
        return new PiecewiseObjective(TaskLossObjective.of(BOWL), w -> shown[0] = w, pieces);
    }

    @Test
    void piecewiseObjectiveOnAllPiecesIsTheMeanOfThePieces() {
        MergeWeights w = MergeWeights.constant(ENTRIES, L, 0.4);
        PiecewiseObjective.Candidate c = PIECEWISE.begin(w, new CancellationToken());
        double first = c.next().value();
        // the pieces' optima average to TARGET: the full value is the bowl's plus the offsets' spread
        double spread = 0;
        for (double o : OFFSETS) {
            spread += o * o / OFFSETS.length;
        }
        double bowl = OBJECTIVE.evaluate(w, new CancellationToken()).value();
        assertEquals(bowl + L * Group.values().length * spread, PIECEWISE.evaluate(w, new CancellationToken()).value(), 1e-12);
        assertTrue(first != PIECEWISE.evaluate(w, new CancellationToken()).value(), "one piece is only an estimate");
    }

    @Test
    void racingFindsTheKnownOptimumAndDropsMostCandidatesEarly() {
        RunResult r = OptimizationRun.builder(PIECEWISE, Parameterization.perLayer(ENTRIES, L))
                .method(SearchMethod.RACING).budget(1500).seed(7).build().run();
        assertTrue(r.bestWeights().maxAbsDifference(TARGET) < 1e-2, () -> "found " + r.bestWeights());
        assertEquals(1500, r.spent(), 1.0);
        long dropped = r.history().rows().stream().filter(row -> row.cost() < 1).count();
        assertTrue(dropped > r.evaluations() / 2, () -> dropped + " of " + r.evaluations() + " dropped");
        // only fully scored candidates become the best: every best value is a full evaluation's
        for (RunHistory.Row row : r.history().rows()) {
            if (row.cost() == 1 && row.result().value() == row.bestValue()) {
                assertEquals(PIECEWISE.evaluate(Parameterization.perLayer(ENTRIES, L).decode(row.x()), new CancellationToken()).value(),
                        row.bestValue(), 1e-12);
            }
        }
    }

    /** The bowl with its gradient: d/dw[e, l, g] of the mean of the two tasks' sums of squares is (w - TARGET). */
    static final DifferentiableObjective DIFFERENTIABLE = new DifferentiableObjective() {
        @Override
        public Evaluation evaluate(MergeWeights w, CancellationToken c) {
            return OBJECTIVE.evaluate(w, c);
        }

        @Override
        public ValueAndGradient valueAndGradient(MergeWeights w, CancellationToken c) {
            return new ValueAndGradient(evaluate(w, c), MergeWeights.of(ENTRIES, L, (e, l, g) -> w.get(e, l, g) - TARGET.get(e, l, g)));
        }
    };

    @Test
    void gradientMethodFindsTheKnownOptimum() {
        RunResult r = OptimizationRun.builder(DIFFERENTIABLE, Parameterization.perLayer(ENTRIES, L))
                .method(SearchMethod.GRADIENT).learningRate(0.05).budget(600).build().run();
        assertEquals(200, r.evaluations(), "a step costs three evaluations of the budget");
        assertTrue(r.bestWeights().maxAbsDifference(TARGET) < 1e-2, () -> "found " + r.bestWeights());
    }

    @Test
    void gradientThroughACurveIsTheChainRule() {
        // TARGET is linear in the layer for both entries: two control points reach it
        var p = Parameterization.curve(2, ENTRIES, L);
        RunResult r = OptimizationRun.builder(DIFFERENTIABLE, p).method(SearchMethod.GRADIENT).learningRate(0.05).budget(900).build().run();
        assertTrue(r.bestWeights().maxAbsDifference(TARGET) < 1e-2, () -> "found " + r.bestWeights());
        // pullBack is B^T g: against central differences of the value through decode
        double[] x = {0.3, 1.2, 0.9, -0.1};
        double[] g = p.pullBack(DIFFERENTIABLE.valueAndGradient(p.decode(x), new CancellationToken()).gradient());
        for (int i = 0; i < x.length; i++) {
            double[] hi = x.clone();
            double[] lo = x.clone();
            hi[i] += 1e-5;
            lo[i] -= 1e-5;
            double fd = (OBJECTIVE.evaluate(p.decode(hi), new CancellationToken()).value()
                    - OBJECTIVE.evaluate(p.decode(lo), new CancellationToken()).value()) / 2e-5;
            assertEquals(fd, g[i], 1e-6);
        }
    }

    /**
     * The bowl in minibatches: batch j's optimum is TARGET shifted by OFFSETS[j] (they average to zero), so each
     * batch's gradient is a noisy estimate and the mean of the batches' objectives is minimal at TARGET.
     */
    static final DifferentiableObjective MINIBATCHED = new DifferentiableObjective() {
        @Override
        public Evaluation evaluate(MergeWeights w, CancellationToken c) {
            return OBJECTIVE.evaluate(w, c);
        }

        @Override
        public int batches() {
            return OFFSETS.length;
        }

        @Override
        public ValueAndGradient valueAndGradient(MergeWeights w, CancellationToken c) {
            return DIFFERENTIABLE.valueAndGradient(w, c);
        }

        @Override
        public ValueAndGradient valueAndGradient(MergeWeights w, int batch, CancellationToken c) {
            MergeWeights shifted = MergeWeights.of(ENTRIES, L, (e, l, g) -> w.get(e, l, g) - OFFSETS[batch]);
            return DIFFERENTIABLE.valueAndGradient(shifted, c);
        }
    };

    @Test
    void minibatchedAdamGetsCloseKeepsTheBudgetAndOnlyFullEvaluationsWin() {
        var p = Parameterization.perLayer(ENTRIES, L);
        RunResult r = OptimizationRun.builder(MINIBATCHED, p).method(SearchMethod.GRADIENT).learningRate(0.05).budget(150).build().run();
        // the start (1), steps of 3/4 of an evaluation, and the last point (1), within the budget
        assertTrue(r.spent() <= 150 + 1e-9 && r.spent() > 150 - 0.75 - 1e-9, () -> "spent " + r.spent());
        List<RunHistory.Row> rows = r.history().rows();
        assertEquals(1.0, rows.getFirst().cost());
        assertEquals(1.0, rows.getLast().cost());
        assertEquals(rows.size() - 2, rows.stream().filter(row -> row.cost() == 0.75).count());
        // the best is a full evaluation (the start or the last point), never a minibatch's estimate
        assertEquals(OBJECTIVE.evaluate(r.bestWeights(), new CancellationToken()).value(), r.best().value(), 1e-12);
        assertTrue(r.bestWeights().maxAbsDifference(TARGET) < 0.05, () -> "found " + r.bestWeights());
    }

    @Test
    void minibatchedAdamIsDeterministic() {
        var p = Parameterization.perLayerKind(ENTRIES, L);
        RunResult a = OptimizationRun.builder(MINIBATCHED, p).method(SearchMethod.GRADIENT).budget(40).seed(1).build().run();
        RunResult b = OptimizationRun.builder(MINIBATCHED, p).method(SearchMethod.GRADIENT).budget(40).seed(2).build().run();
        assertArrayEquals(a.bestX(), b.bestX(), 0.0);
        assertEquals(a.history().rows().size(), b.history().rows().size());
    }

    @Test
    void racingNeedsAPiecewiseObjective() {
        assertThrows(io.laem.engine.LaemException.class, () -> OptimizationRun.builder(OBJECTIVE, Parameterization.perTask(ENTRIES, L))
                .method(SearchMethod.RACING).build());
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
        assertEquals("evaluation,label,seconds,value,best_value,cost,task:task-a,task:task-b,a,b", lines.getFirst());
        assertEquals(13, lines.size());
        double best = Double.POSITIVE_INFINITY;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            assertEquals(Integer.toString(i - 1), f[0]);
            assertEquals("plan-none", f[1]);
            double value = Double.parseDouble(f[3]);
            best = Math.min(best, value);
            assertEquals(best, Double.parseDouble(f[4]));
            assertEquals(1.0, Double.parseDouble(f[5]));
            assertEquals(value, Double.parseDouble(f[6]) / 2 + Double.parseDouble(f[7]) / 2, 1e-12);
            // the candidate's coordinates reproduce its value
            double[] x = {Double.parseDouble(f[8]), Double.parseDouble(f[9])};
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
