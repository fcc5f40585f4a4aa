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

    /**
     * The raw-bits finite check agrees with Float.isFinite on the decoded values, for every dtype,
     * every position of the bad element (in the 8-byte words and in a tail shorter than 8 bytes) and
     * the edge values: largest finite, smallest subnormal, infinities, quiet and signalling NaNs.
     */
    @Test
    void rawFiniteCheckAgreesWithDecodedValues() {
        float[] finite = {0f, -0f, Float.MIN_VALUE, 65504f, -65504f, 1.5f, 6.0e-8f};
        float[] overflowing = {Float.MAX_VALUE, -Float.MAX_VALUE, 3.3895314e38f, 65520f}; // infinite in some dtypes once encoded
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7f800001),
                Float.intBitsToFloat(0xffc00000)};
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (int n = 1; n <= 11; n++) {
                for (int at = 0; at < n; at++) {
                    for (float edge : finite) {
                        assertEquals(true, check(d, n, at, edge), d + " n=" + n + " at=" + at + " " + edge);
                    }
                    for (float v : bad) {
                        assertEquals(false, check(d, n, at, v), d + " n=" + n + " at=" + at + " " + v);
                    }
                    for (float v : overflowing) {
                        check(d, n, at, v);
                    }
                }
            }
        }
    }

    /** n values of 1.0 with {@code v} at {@code at}, encoded as {@code d}: checked raw, and against the decoded values. */
    private static boolean check(DType d, int n, int at, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        x[at] = v;
        byte[] bytes = FloatCodec.encode(d, x);
        if (d == DType.F32) { // keep the exact NaN payload
            MemorySegment.ofArray(bytes).set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                    4L * at, Float.floatToRawIntBits(v));
        }
        float[] back = new float[n];
        FloatCodec.decode(d, MemorySegment.ofArray(bytes), back, n);
        boolean expected = true;
        for (float b : back) {
            expected &= Float.isFinite(b);
        }
        boolean raw = FloatCodec.allFinite(d, MemorySegment.ofArray(bytes));
        assertEquals(expected, raw, d + " " + v);
        return raw;
    }
}
