package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskLossObjectiveTest {
    static final TaskScorer FIXED = (w, c) -> Map.of("x", 1.0, "y", 3.0);
    static final MergeWeights W = MergeWeights.constant(List.of("a", "b"), 2, 0.5);

    @Test
    void meanOfTaskLosses() {
        Evaluation e = TaskLossObjective.of(FIXED).evaluate(W, new CancellationToken());
        assertEquals(2.0, e.value(), 1e-12);
        assertEquals(Map.of("x", 1.0, "y", 3.0), e.taskScores());
        assertEquals(List.of("x", "y"), List.copyOf(e.taskScores().keySet()));
    }

    @Test
    void taskWeights() {
        // (3*1 + 1*3) / 4
        assertEquals(1.5, TaskLossObjective.of(FIXED).withTaskWeights(Map.of("x", 3.0)).evaluate(W, new CancellationToken()).value(), 1e-12);
    }

    @Test
    void l1PullTowardPrior() {
        // LoraHub: 0.05 * mean|w| = 0.05 * 0.5
        assertEquals(2.025, TaskLossObjective.of(FIXED).withL1(0.05, null).evaluate(W, new CancellationToken()).value(), 1e-12);
        MergeWeights prior = MergeWeights.constant(List.of("a", "b"), 2, 0.25);
        assertEquals(2.0125, TaskLossObjective.of(FIXED).withL1(0.05, prior).evaluate(W, new CancellationToken()).value(), 1e-12);
    }

    @Test
    void floorPenaltyOnlyBelowTheFraction() {
        // own losses x 0.9, y 2.0; fraction 0.5 allows ln 2 = 0.693 more: x within (1.0 <= 1.593), y exceeds by 0.307
        var o = TaskLossObjective.of(FIXED).withFloor(Map.of("x", 0.9, "y", 2.0), 0.5, 10);
        assertEquals(2.0 + 10 * (3.0 - 2.0 - Math.log(2)), o.evaluate(W, new CancellationToken()).value(), 1e-12);
    }

    @Test
    void nanIsWorst() {
        assertEquals(Double.POSITIVE_INFINITY, TaskLossObjective.of((w, c) -> Map.of("x", Double.NaN)).evaluate(W, new CancellationToken()).value());
    }
}
