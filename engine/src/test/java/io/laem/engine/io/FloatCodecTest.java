package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FloatCodecTest {
    private static short bf16(int floatBits) {
        return FloatCodec.floatToBf16(Float.intBitsToFloat(floatBits));
    }

    /** Hand-computed from the IEEE bit patterns: round to nearest, ties to even (torch's c10::BFloat16). */
    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, bf16(0x3F800000)); // 1.0 exact
        assertEquals((short) 0x3F80, bf16(0x3F807FFF)); // below half: down
        assertEquals((short) 0x3F81, bf16(0x3F808001)); // above half: up
        assertEquals((short) 0x3F80, bf16(0x3F808000)); // tie, 0x3F80 is even: down
        assertEquals((short) 0x3F82, bf16(0x3F818000)); // tie, 0x3F81 is odd: up to 0x3F82
        assertEquals((short) 0xBF82, bf16(0xBF818000)); // same for negatives
        assertEquals((short) 0x8000, bf16(0x80000000)); // -0
        assertEquals((short) 0x0000, bf16(0x00000001)); // smallest subnormal rounds to 0
        assertEquals((short) 0x7F80, bf16(0x7F800000)); // +inf
        assertEquals((short) 0xFF80, bf16(0xFF800000)); // -inf
        assertEquals((short) 0x7F80, bf16(0x7F7FFFFF)); // max float rounds up to inf, as torch does
        assertEquals((short) 0x7FC0, bf16(0x7FC00001)); // NaN: torch's canonical NaN
        assertEquals((short) 0x7FC0, bf16(0xFF800001)); // signalling negative NaN too
        assertTrue(Float.isNaN(FloatCodec.bf16ToFloat((short) 0x7FC0)));
        assertEquals(1.0f, FloatCodec.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, FloatCodec.bf16ToFloat((short) 0xC000));
    }

    @Test
    void bf16RoundTripIsWithinHalfAnUlpOfEightBits() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) {
            float f = (float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-30, 30)));
            float back = FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(f));
            assertTrue(Math.abs(back - f) <= Math.ulp(f) * 32768, f + " -> " + back); // half a bf16 ulp (16 fewer bits)
            // the value is representable in bf16 after one rounding: a second round trip is exact
            assertEquals(back, FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(back)));
        }
    }

    /** Expected bits from numpy: np.float32(v).astype(np.float16).view(np.uint16). */
    @Test
    void f16MatchesNumpy() {
        float[] v = {0.1f, 1f / 3, 65504f, 65519f, 65520f, 1e-8f, 6.1035156e-05f, 5.9604645e-08f, 2.98e-08f, -2.5f, 1000.7f, 3.14159f};
        int[] bits = {0x2e66, 0x3555, 0x7bff, 0x7bff, 0x7c00, 0x0, 0x400, 0x1, 0x0, 0xc100, 0x63d1, 0x4248};
        byte[] enc = FloatCodec.encode(DType.F16, v);
        for (int i = 0; i < v.length; i++) {
            int got = (enc[2 * i] & 0xff) | (enc[2 * i + 1] & 0xff) << 8;
            assertEquals(bits[i], got, "f16 of " + v[i]);
        }
        float[] back = new float[v.length];
        FloatCodec.decode(DType.F16, MemorySegment.ofArray(enc), back, v.length);
        assertEquals(0.0999755859375f, back[0]);
        assertEquals(Float.POSITIVE_INFINITY, back[4]);
        assertEquals(1000.5f, back[10]);
    }

    @Test
    void encodeDecodeAllFloatTypesLittleEndian() {
        float[] v = {1.5f, -0.25f, 3e5f, 0f};
        for (DType d : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}) {
            byte[] enc = FloatCodec.encode(d, v);
            assertEquals(v.length * d.bytes(), enc.length);
            float[] back = new float[v.length];
            FloatCodec.decode(d, MemorySegment.ofArray(enc), back, v.length);
            assertEquals(1.5f, back[0], d.name());
            assertEquals(-0.25f, back[1], d.name());
        }
        byte[] f32 = FloatCodec.encode(DType.F32, new float[] {1.0f});
        assertEquals(0x3f, f32[3]); // little-endian: 00 00 80 3f
        assertEquals((byte) 0x80, f32[2]);
    }
}
