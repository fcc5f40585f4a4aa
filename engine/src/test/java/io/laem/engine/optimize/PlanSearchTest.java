package io.laem.engine.optimize;

import io.laem.engine.progress.CancellationToken;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlanSearchTest {
    static final List<String> ENTRIES = List.of("a", "b");

    /** Plan p's loss: a bowl around 0.5 with floor p (plan "dense" floors at 0.3, "sparse" at 0.1). */
    static Objective planObjective(double floor) {
        return TaskLossObjective.of((w, c) -> {
            double d = 0;
            for (int e = 0; e < 2; e++) {
                double x = w.get(e, 0, io.laem.engine.model.ModuleKind.Group.ATTN) - 0.5;
                d += x * x;
            }
            return Map.of("t", floor + d);
        });
    }

    @Test
    void picksThePlanWithTheBestRunAndSplitsTheBudget() {
        List<String> built = new ArrayList<>();
        var p = Parameterization.perTask(ENTRIES, 2);
        PlanSearch.Result r = PlanSearch.run(List.of("dense", "sparse", "none"), label -> {
            built.add(label);
            return OptimizationRun.builder(planObjective(switch (label) {
                case "dense" -> 0.3;
                case "sparse" -> 0.1;
                default -> 0.5;
            }), p).seed(1);
        }, 50, new CancellationToken());
        assertEquals(List.of("dense", "sparse", "none"), built);
        assertEquals("sparse", r.best().label());
        assertEquals(List.of(17, 17, 16), r.runs().stream().map(RunResult::evaluations).toList());
        assertEquals(50, r.history().size());
        assertEquals("none", r.history().rows().getLast().label());
        assertTrue(r.best().best().value() < 0.1 + 0.01);
    }

    @Test
    void cancelStopsRemainingPlans() {
        CancellationToken cancel = new CancellationToken();
        var p = Parameterization.perTask(ENTRIES, 2);
        PlanSearch.Result r = PlanSearch.run(List.of("x", "y"), label -> OptimizationRun.builder(planObjective(0), p)
                .listener(new RunListener() {
                    @Override
                    public void candidate(CandidateEvent e) {
                        if (e.index() == 3) {
                            cancel.cancel();
                        }
                    }
                }), 100, cancel);
        assertTrue(r.cancelled());
        assertEquals(1, r.runs().size());
        assertEquals(4, r.history().size());
    }
}
