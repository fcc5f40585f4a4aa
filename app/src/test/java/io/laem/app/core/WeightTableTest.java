package io.laem.app.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.ModuleKind.Group;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightTableTest {
    private static final double EPS = 1e-12;

    private static WeightTable table(int adapters, int layers) {
        WeightTable t = new WeightTable();
        List<String> names = java.util.stream.IntStream.range(0, adapters).mapToObj(i -> "t" + i).toList();
        t.reset(names, layers);
        return t;
    }

    @Test
    void uniformAtStartWithSharedAtOne() {
        WeightTable t = table(4, 8);
        assertEquals(List.of("t0", "t1", "t2", "t3", WeightTable.SHARED), t.series());
        assertEquals(4, t.points());
        MergeWeights w = t.snapshot();
        for (int l = 0; l < 8; l++) {
            assertEquals(0.25, w.get("t0", l, ModuleKind.Q_PROJ), EPS);
            assertEquals(1.0, w.get(WeightTable.SHARED, l, ModuleKind.DOWN_PROJ), EPS);
        }
        assertFalse(t.canUndoProperty().get());
    }

    @Test
    void controlPointsInterpolateAsMergekitGradient() {
        // mergekit gradient [0, 0.5, 1] over 5 layers: positions 0, 0.5, 1, 1.5, 2 -> 0, .25, .5, .75, 1
        WeightTable t = table(1, 5);
        t.setMode(WeightTable.Mode.CONTROL_POINTS, 3);
        t.set(Group.ATTN, 0, 0, 0.0, false);
        t.set(Group.ATTN, 0, 1, 0.5, false);
        t.set(Group.ATTN, 0, 2, 1.0, false);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, t.layerCurve(Group.ATTN, 0), EPS);
        // not split: MLP follows
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, t.layerCurve(Group.MLP, 0), EPS);
        assertEquals(2.0, t.layerOfPoint(1), EPS);
    }

    @Test
    void perLayerModeKeepsTheCurve() {
        WeightTable t = table(2, 7);
        t.applyPreset(WeightTable.Preset.RAMP_UP);
        double[] before = t.layerCurve(Group.ATTN, 1);
        t.setMode(WeightTable.Mode.PER_LAYER, 0);
        assertEquals(7, t.points());
        assertArrayEquals(before, t.layerCurve(Group.ATTN, 1), EPS);
        // ramp up: 0 at the first layer, 2/T at the last, mean 1/T
        assertEquals(0.0, before[0], EPS);
        assertEquals(1.0, before[6], EPS);
    }

    @Test
    void undoRedoAndDragCoalescing() {
        WeightTable t = table(2, 4);
        t.set(Group.ATTN, 0, 1, 0.9, true);
        t.set(Group.ATTN, 0, 1, 0.8, true);
        t.set(Group.ATTN, 0, 1, 0.7, true);
        assertEquals(0.7, t.get(Group.ATTN, 0, 1), EPS);
        t.undo(); // one drag = one step
        assertEquals(0.5, t.get(Group.ATTN, 0, 1), EPS);
        assertFalse(t.canUndoProperty().get());
        assertTrue(t.canRedoProperty().get());
        t.redo();
        assertEquals(0.7, t.get(Group.ATTN, 0, 1), EPS);
        t.set(Group.ATTN, 0, 1, 0.1, false);
        t.set(Group.ATTN, 0, 1, 0.2, false);
        t.undo();
        assertEquals(0.1, t.get(Group.ATTN, 0, 1), EPS);
    }

    @Test
    void attentionOnlyPresetSplitsAndZeroesMlp() {
        WeightTable t = table(2, 4);
        t.applyPreset(WeightTable.Preset.ATTENTION_ONLY);
        assertTrue(t.isSplit());
        MergeWeights w = t.snapshot();
        assertEquals(0.5, w.get("t0", 2, ModuleKind.K_PROJ), EPS);
        assertEquals(0.0, w.get("t0", 2, ModuleKind.UP_PROJ), EPS);
        assertEquals(0.0, w.get(WeightTable.SHARED, 2, ModuleKind.UP_PROJ), EPS);
        // with a split, a set changes one group only
        t.set(Group.MLP, 1, 0, 0.3, false);
        assertEquals(0.3, t.get(Group.MLP, 1, 0), EPS);
        assertEquals(0.5, t.get(Group.ATTN, 1, 0), EPS);
        t.undo();
        t.undo();
        assertFalse(t.isSplit());
    }

    @Test
    void perModuleWeightsAreHeldAndShowAsEachGroupsMeanUntilACurveChanges() {
        WeightTable t = table(1, 2);
        MergeWeights w = MergeWeights.ofModules(List.of("t0"), 2, (e, l, k) -> switch (k) {
            case Q_PROJ, QKV_PROJ -> 0.1 + l;
            case K_PROJ -> 0.2;
            case V_PROJ -> 0.3;
            case O_PROJ -> 0.4;
            default -> 0.9;
        });
        t.show(w, false);
        assertTrue(t.modulesProperty().get());
        assertArrayEquals(new double[] {0.25, 0.5}, t.layerCurve(Group.ATTN, 0), EPS);
        assertArrayEquals(new double[] {0.9, 0.9}, t.layerCurve(Group.MLP, 0), EPS);
        MergeWeights held = t.snapshot();
        assertEquals(List.of("t0", WeightTable.SHARED), held.entries());
        assertEquals(0.2, held.get("t0", 1, ModuleKind.K_PROJ), EPS, "what the table applies: the module's own weight");
        assertEquals(1.1, held.get("t0", 1, ModuleKind.Q_PROJ), EPS);
        assertEquals(1.0, held.get(WeightTable.SHARED, 1, ModuleKind.V_PROJ), EPS, "a series the weights lack keeps its curve");
        t.set(Group.ATTN, 0, 1, 0.7, false);
        assertFalse(t.modulesProperty().get(), "a changed curve replaces the per-module weights");
        assertEquals(0.7, t.snapshot().get("t0", 1, ModuleKind.K_PROJ), EPS);
        t.undo();
        assertTrue(t.modulesProperty().get(), "undo brings them back");
        assertEquals(0.2, t.snapshot().get("t0", 1, ModuleKind.K_PROJ), EPS);
        t.undo();
        assertFalse(t.modulesProperty().get());
        t.redo();
        assertTrue(t.modulesProperty().get());
        t.show(MergeWeights.constant(List.of("t0"), 2, 0.5), false);
        assertFalse(t.modulesProperty().get());
    }
}
