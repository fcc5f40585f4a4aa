package io.laem.app.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FixtureSessionTest;
import io.laem.app.Fx;
import io.laem.app.core.WeightTable;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKind.Group;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Weights view's model: which curves are drawn, which lie on each other, and the table's layer labels. */
class WeightsViewModelTest extends FixtureSessionTest {
    @Test
    void theSharedCurveIsDrawnOnlyWithASharedModule() {
        WeightsViewModel w = vm.weights();
        int shared = w.table().sharedIndex();
        assertFalse(w.isShown(shared));
        assertTrue(w.isShown(0));
        Fx.run(() -> w.settings().sharedModeProperty().set(Recipe.Shared.Mode.CONSENSUS));
        assertTrue(w.isShown(shared));
    }

    @Test
    void aCurveOnAnotherIsMarkedAsTheSameAsTheFirst() {
        WeightsViewModel w = vm.weights();
        // the fixture session: three adapters at 1/3 everywhere
        assertEquals(-1, w.sameAs(0));
        assertEquals(0, w.sameAs(1));
        assertEquals(0, w.sameAs(2));
        assertEquals(List.of(0, 1, 2), List.of(w.twinRank(0), w.twinRank(1), w.twinRank(2)));
        Fx.run(() -> w.table().set(Group.ATTN, 1, 0, 0.9, false));
        assertEquals(List.of(0, 0, 1), List.of(w.twinRank(0), w.twinRank(1), w.twinRank(2)));
        assertEquals(-1, w.sameAs(1));
        assertEquals(0, w.sameAs(2));
        assertEquals(-1, w.sameAs(w.table().sharedIndex()), "the hidden shared curve is nobody's twin");
    }

    @Test
    void theLayerColumnShowsWholeLayers() {
        WeightsViewModel w = vm.weights();
        Fx.run(() -> w.table().setMode(WeightTable.Mode.PER_LAYER, 0));
        assertEquals("0", w.pointLabel(0));
        assertEquals("5", w.pointLabel(5));
        Fx.run(() -> w.table().setMode(WeightTable.Mode.CONTROL_POINTS, 4)); // 6 layers: points at 0, 1.67, 3.33, 5
        assertEquals("0", w.pointLabel(0));
        assertEquals("≈2", w.pointLabel(1));
        assertEquals("≈3", w.pointLabel(2));
        assertEquals("5", w.pointLabel(3));
    }
}
