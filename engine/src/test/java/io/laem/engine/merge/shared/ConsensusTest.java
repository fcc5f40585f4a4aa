package io.laem.engine.merge.shared;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsensusTest {
    static final ModuleKey KEY = new ModuleKey(1, ModuleKind.DOWN_PROJ);

    @Test
    void sharedIsTheTopDirectionOfTheSumAndResidualsAreProjectedOut() {
        // D1 = [[2,0],[0,0]], D2 = [[1,0],[0,1]]: sum [[3,0],[0,1]], top direction e1 with sigma 3
        LoraModule d1 = new LoraModule(KEY, 1, 2, 2, new float[] {1, 0}, new float[] {1, 0}, 2.0);
        LoraModule d2 = new LoraModule(KEY, 2, 2, 2, new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 1.0);
        Consensus.Result c = Consensus.of(KEY, List.of(d1, d2), 1);
        assertArrayEquals(new float[] {3, 0, 0, 0}, c.shared().denseDelta(), 1e-6f);
        assertEquals(0.9, c.sharedEnergy(), 1e-9); // 9 of 10
        assertArrayEquals(new float[] {0, 0, 0, 0}, c.tasks().get(0).denseDelta(), 1e-6f);
        assertArrayEquals(new float[] {0, 0, 0, 1}, c.tasks().get(1).denseDelta(), 1e-6f);
    }

    @Test
    void withUnitWeightsSharedPlusResidualsIsTheSum() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        List<LoraModule> tasks = java.util.stream.IntStream.range(0, 3).mapToObj(t -> {
            float[] a = new float[4 * 7];
            float[] b = new float[5 * 4];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) r.nextGaussian();
            }
            return new LoraModule(KEY, 4, 7, 5, a, b, 0.5 + t);
        }).toList();
        Consensus.Result c = Consensus.of(KEY, tasks, 3);
        float[] sum = new float[35];
        float[] rebuilt = c.shared().denseDelta();
        for (int t = 0; t < 3; t++) {
            float[] d = tasks.get(t).denseDelta();
            float[] p = c.tasks().get(t).denseDelta();
            for (int i = 0; i < 35; i++) {
                sum[i] += d[i];
                rebuilt[i] += p[i];
            }
        }
        assertArrayEquals(sum, rebuilt, 1e-4f);
    }
}
