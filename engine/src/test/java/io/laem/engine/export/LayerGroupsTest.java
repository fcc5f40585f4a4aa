package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.export.LayerGroups.Range;
import java.util.List;
import org.junit.jupiter.api.Test;

/** gguf-lora:groups=SPEC: a count splits the layers as evenly as possible; explicit ranges must cover them once, in order. */
class LayerGroupsTest {
    @Test
    void aCountSplitsTheLayersEvenlyEarlierGroupsLonger() {
        assertEquals(List.of(new Range(0, 1), new Range(2, 3), new Range(4, 4), new Range(5, 5)), new LayerGroups("4").ranges(6));
        assertEquals(List.of(new Range(0, 7), new Range(8, 15), new Range(16, 23), new Range(24, 31)), new LayerGroups("4").ranges(32));
    }

    @Test
    void explicitRangesAreTakenAsGiven() {
        assertEquals(List.of(new Range(0, 2), new Range(3, 3)), new LayerGroups("0-2,3-3").ranges(4));
        assertEquals("adapter-layers-0-2.gguf", GgufLoraFormat.groupFile(new Range(0, 2)));
    }

    @Test
    void rangesWithAGapAnOverlapOrShortOfTheLastLayerAreRefused() {
        assertTrue(assertThrows(LaemException.class, () -> new LayerGroups("0-1,3-3").ranges(4)).getMessage().contains("should start at layer 2"));
        assertTrue(assertThrows(LaemException.class, () -> new LayerGroups("0-2,2-3").ranges(4)).getMessage().contains("should start at layer 3"));
        assertTrue(assertThrows(LaemException.class, () -> new LayerGroups("0-1,2-2").ranges(4)).getMessage().contains("last layer is 3"));
        assertTrue(assertThrows(LaemException.class, () -> new LayerGroups("5").ranges(4)).getMessage().contains("only 4 layers"));
        assertThrows(LaemException.class, () -> new LayerGroups("0"));
        assertThrows(LaemException.class, () -> new LayerGroups("a-b"));
    }

    @Test
    void theFormatNameCarriesTheGroupsAndOtherOptionsAreRefused() {
        assertEquals("gguf-lora:groups=0-1,2-3", ExportFormats.of("gguf-lora:groups=0-1,2-3").name());
        assertEquals("gguf-lora", ExportFormats.of("gguf-lora").name());
        assertTrue(assertThrows(LaemException.class, () -> ExportFormats.of("gguf-lora:f16")).getMessage().contains("groups=N"));
        assertTrue(assertThrows(LaemException.class, () -> ExportFormats.of("peft:groups=2")).getMessage().contains("takes no option"));
    }
}
