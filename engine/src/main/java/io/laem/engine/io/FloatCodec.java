package io.laem.engine.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Conversions between the stored float dtypes and float32. Safetensors data is little-endian. */
public final class FloatCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatCodec() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round to nearest even, as torch's c10::BFloat16 does; every NaN becomes torch's canonical 0x7FC0. */
    public static short floatToBf16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(f);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Decodes {@code count} elements of a float dtype starting at byte offset 0 of {@code seg}. */
    public static void decode(DType dtype, MemorySegment seg, float[] out, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(seg, F32, 0, out, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.float16ToFloat(seg.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bf16ToFloat(seg.get(I16, 2L * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) seg.get(F64, 8L * i);
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    /** Encodes float32 values into the bytes of {@code dtype}, little-endian. */
    public static byte[] encode(DType dtype, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, dtype.bytes())]);
        switch (dtype) {
            case F32 -> MemorySegment.copy(values, 0, seg, F32, 0, values.length);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    seg.set(I16, 2L * i, Float.floatToFloat16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    seg.set(I16, 2L * i, floatToBf16(values[i]));
                }
            }
            case F64 -> {
                for (int i = 0; i < values.length; i++) {
                    seg.set(F64, 8L * i, values[i]);
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
        return (byte[]) seg.heapBase().orElseThrow();
    }
}
