package io.laem.app.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Layer labels: whole layers only, every k layers so that each label has its pixels. */
class LayerTicksTest {
    @Test
    void theStepLeavesEachLabelItsPixelsAt28And80Layers() {
        assertEquals(1, LayerTicks.step(6, 600, 16));    // 100 px per layer
        assertEquals(1, LayerTicks.step(28, 560, 16));   // 20 px per layer
        assertEquals(2, LayerTicks.step(28, 300, 16));   // 10.7 px: every 2nd
        assertEquals(5, LayerTicks.step(80, 300, 16));   // 3.75 px: every 5th (4 would be 15 px)
        assertEquals(10, LayerTicks.step(80, 160, 16));
        assertEquals(1, LayerTicks.step(1, 10, 16));
        assertTrue(LayerTicks.step(28, 1, 16) >= 28);    // no room: the first layer only
    }

    @Test
    void labelsAreWholeLayersOnly() {
        var f = LayerTicks.wholeLayers();
        assertEquals("3", f.toString(3.0));
        assertEquals("", f.toString(0.25));
        assertEquals("", f.toString(-1.0));
        assertEquals("0", f.toString(-1e-9));
    }
}
