package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link GgmlType#storesFinite} by thresholds says what rounding each value to the type says. */
class GgmlTypeFiniteTest {
    /** The definition: the value as the type stores it (Q8_0: its block scale {@code |v| / 127} in F16) is finite. */
    private static boolean byRounding(GgmlType t, float v) {
        return switch (t) {
            case F32 -> Float.isFinite(v);
            case F16 -> Float.isFinite(Float.float16ToFloat(Float.floatToFloat16(v)));
            case BF16 -> Float.isFinite(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(v)));
            case Q8_0 -> Float.isFinite(v) && Float.isFinite(Float.float16ToFloat(Float.floatToFloat16(Math.abs(v) / 127f)));
        };
    }

    @Test
    void thresholdsAgreeWithRoundingAtTheBoundariesAndAcrossMagnitudes() {
        List<Float> values = new ArrayList<>(List.of(0f, -0f, 1f, 65504f, 65519.996f, 65520f, 65535f, 65536f, 65520f * 127f,
                Math.nextDown(65520f * 127f), Math.nextUp(65520f * 127f), Float.MAX_VALUE, Float.intBitsToFloat(0x7f7f0000),
                Float.intBitsToFloat(0x7f7f7fff), Float.intBitsToFloat(0x7f7f8000), Float.intBitsToFloat(0x7f7f8001),
                Float.POSITIVE_INFINITY, Float.NaN, Float.MIN_VALUE));
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            values.add(Float.intBitsToFloat(rnd.nextInt()));
        }
        for (float base : new float[] {65520f, 65520f * 127f, Float.intBitsToFloat(0x7f7f8000)}) {
            float v = base;
            for (int k = 0; k < 50; k++) {
                values.add(v);
                values.add(-v);
                v = Math.nextDown(v);
            }
        }
        for (GgmlType t : GgmlType.values()) {
            for (float v : values) {
                for (float s : new float[] {v, -v}) {
                    assertEquals(byRounding(t, s), t.storesFinite(s), t + " " + s + " (bits " + Integer.toHexString(Float.floatToRawIntBits(s)) + ")");
                }
            }
        }
        assertTrue(GgmlType.F16.storesFinite(65519.996f));
        assertFalse(GgmlType.F16.storesFinite(65520f));
    }
}
