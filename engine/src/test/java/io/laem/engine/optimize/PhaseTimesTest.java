package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseTimesTest {
    @Test
    void nestedPhasesAreCountedExclusively() {
        long[] now = {0};
        PhaseTimes t = new PhaseTimes(() -> now[0]);
        t.time("baselines", () -> {
            now[0] += 2_000_000_000L;
            t.time("planning", () -> now[0] += 3_000_000_000L);
            now[0] += 1_000_000_000L;
        });
        t.time("planning", () -> now[0] += 500_000_000L);
        now[0] += 7_000_000_000L; // outside any phase: not counted
        Map<String, Double> s = t.seconds();
        assertEquals(3.0, s.get("baselines"), 1e-12);
        assertEquals(3.5, s.get("planning"), 1e-12);
        assertEquals(List.of("baselines", "planning"), List.copyOf(s.keySet()));
    }
}
