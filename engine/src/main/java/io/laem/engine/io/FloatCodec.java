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
        decode(dtype, seg, out, 0, count);
    }

    /** Decodes {@code count} elements from byte offset 0 of {@code seg} into {@code out[from..from+count)}. */
    public static void decode(DType dtype, MemorySegment seg, float[] out, int from, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(seg, F32, 0, out, from, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = Float.float16ToFloat(seg.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = bf16ToFloat(seg.get(I16, 2L * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = (float) seg.get(F64, 8L * i);
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    /** Encodes float32 values into the bytes of {@code dtype}, little-endian. */
    public static byte[] encode(DType dtype, float[] values) {
        byte[] bytes = new byte[Math.multiplyExact(values.length, dtype.bytes())];
        encode(dtype, values, 0, values.length, MemorySegment.ofArray(bytes));
        return bytes;
    }

    /** Encodes {@code values[from..from+count)} as {@code dtype} into {@code seg} from byte offset 0 (e.g. a direct buffer). */
    public static void encode(DType dtype, float[] values, int from, int count, MemorySegment seg) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(values, from, seg, F32, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    seg.set(I16, 2L * i, Float.floatToFloat16(values[from + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    seg.set(I16, 2L * i, floatToBf16(values[from + i]));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    seg.set(F64, 8L * i, values[from + i]);
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }
}
