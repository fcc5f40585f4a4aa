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
        decode(dtype, seg, MemorySegment.ofArray(out).asSlice(4L * from), count);
    }

    private static final ValueLayout.OfFloat NATIVE_F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt NATIVE_I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /**
     * Decodes {@code count} elements from byte offset 0 of {@code seg} into {@code out} as float32 in the platform's
     * byte order (native memory such as an array's own buffer: no heap array in between).
     */
    public static void decode(DType dtype, MemorySegment seg, MemorySegment out, long count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(seg, F32, 0, out, NATIVE_F32, 0, count);
            case F16 -> {
                for (long i = 0; i < count; i++) {
                    out.set(NATIVE_F32, 4 * i, Float.float16ToFloat(seg.get(I16, 2 * i)));
                }
            }
            // float32's high half, as bf16ToFloat
            case BF16 -> {
                for (long i = 0; i < count; i++) {
                    out.set(NATIVE_I32, 4 * i, (seg.get(I16, 2 * i) & 0xffff) << 16);
                }
            }
            case F64 -> {
                for (long i = 0; i < count; i++) {
                    out.set(NATIVE_F32, 4 * i, (float) seg.get(F64, 8 * i));
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Whether every element of {@code seg} (F32, F16 or BF16, little-endian) is finite, read as raw
     * bits eight bytes at a time: an element is NaN or infinite iff its exponent field is all ones,
     * and adding the exponent's lowest bit to the masked field then carries into the element's sign
     * bit, never into the next element. A branch-free OR over longs, which the JIT vectorizes.
     */
    public static boolean allFinite(DType dtype, MemorySegment seg) {
        long mask;
        long carry;
        switch (dtype) {
            case F32 -> {
                mask = 0x7f8000007f800000L;
                carry = 0x0080000000800000L;
            }
            case BF16 -> {
                mask = 0x7f807f807f807f80L;
                carry = 0x0080008000800080L;
            }
            case F16 -> {
                mask = 0x7c007c007c007c00L;
                carry = 0x0400040004000400L;
            }
            default -> throw new IllegalArgumentException("no raw finite check for " + dtype);
        }
        long size = seg.byteSize();
        long whole = size & ~7L;
        long acc = 0;
        for (long o = 0; o < whole; o += 8) {
            acc |= (seg.get(I64, o) & mask) + carry;
        }
        if (whole < size) {
            MemorySegment tail = MemorySegment.ofArray(new long[1]);
            MemorySegment.copy(seg, whole, tail, 0, size - whole);
            acc |= (tail.get(I64, 0) & mask) + carry; // zero padding is finite
        }
        return (acc & (mask + carry) & ~mask) == 0;
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
