package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.laem.engine.model.ModuleKind.Group;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinesTest {
    static final List<String> E = List.of("a", "b", "c", "d");

    @Test
    void weights() {
        assertEquals(0.25, Baselines.uniform(E, 3).get(2, 1, Group.MLP));
        assertEquals(0.4, Baselines.taskArithmetic(E, 3, 0.4).get(0, 2, Group.ATTN));
        assertEquals(1.0, Baselines.ties(E, 3).get(3, 0, Group.ATTN));
        MergeWeights single = Baselines.single(E, 3, "c");
        assertEquals(1.0, single.get(2, 0, Group.MLP));
        assertEquals(0.0, single.get(1, 0, Group.MLP));
        assertEquals(0.0, Baselines.base(E, 3).get(0, 0, Group.ATTN));
    }
}
