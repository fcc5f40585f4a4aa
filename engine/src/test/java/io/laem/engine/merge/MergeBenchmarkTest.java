package io.laem.engine.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.synth.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The benchmark runs every case end to end on a tiny shape (figures are not checked: speed is for laem bench). */
class MergeBenchmarkTest {
    @Test
    void runsEveryCase() throws Exception {
        List<MergeBenchmark.Case> seen = new ArrayList<>();
        MergeBenchmark.Result r = MergeBenchmark.run(ModelSpec.tiny("qwen2"), 2, 4, 0.2, Set.of("exact", "copy", "write", "rank", "ties", "plan"), s -> {},
                seen::add);
        assertEquals(6, r.cases().size());
        assertEquals(r.cases(), seen);
        assertEquals(1.0, r.cases().getFirst().minRetainedEnergy());
        assertTrue(r.cases().stream().allMatch(c -> c.bytesMoved() > 0 && c.bandwidthSeconds() > 0));
        assertEquals(14, r.modules());
    }
}
