package io.laem.engine.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

/**
 * The ggml tensor types the GGUF writer stores, with ggml's type ids (gguf-py's
 * {@code GGMLQuantizationType}) and block layout. Q8_0: blocks of 32 values, each a float16 scale
 * {@code d = max|x| / 127} followed by 32 signed bytes {@code round(x / d)} (ties away from zero), as
 * ggml's reference quantizer writes them.
 */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q8_0(8, 32, 34), BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() {
        return id;
    }

    /** Values per block (1 for the float types, 32 for Q8_0): a row's length must be a multiple of it. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes of {@code count} values; count must be a multiple of the block size. */
    public long bytes(long count) {
        if (count % blockSize != 0) {
            throw new IllegalArgumentException(count + " values are not whole " + this + " blocks");
        }
        return count / blockSize * blockBytes;
    }

    /** The type named by a user (f32, f16, bf16, q8_0; any case). */
    public static Optional<GgmlType> ofUserName(String name) {
        return Arrays.stream(values()).filter(t -> t.name().equalsIgnoreCase(name)).findFirst();
    }

    /** Encodes {@code n} values (a multiple of the block size) into {@code dst} (little-endian). */
    public void encode(float[] v, int from, int n, ByteBuffer dst) {
        switch (this) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst.putFloat(v[from + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.putShort(Float.floatToFloat16(v[from + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.putShort(FloatCodec.floatToBf16(v[from + i]));
                }
            }
            case Q8_0 -> {
                for (int b = from; b < from + n; b += 32) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) {
                        amax = Math.max(amax, Math.abs(v[b + i]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    dst.putShort(Float.floatToFloat16(d));
                    for (int i = 0; i < 32; i++) {
                        dst.put((byte) roundHalfAway(v[b + i] * id));
                    }
                }
            }
        }
    }

    /**
     * Whether {@code v} is stored as a finite value: float32 as it is; F16 and BF16 after rounding (a finite float32
     * beyond F16's 65504 becomes infinity); Q8_0 when its block's float16 scale {@code max|x| / 127} stays finite,
     * which holds for the block when it holds for each value's {@code |v| / 127}.
     */
    public boolean storesFinite(float v) {
        // by the rounding's threshold instead of rounding each value twice (here and in the encoder): a magnitude at or
        // above the midpoint between the type's largest finite value and infinity rounds to infinity (ties go to the
        // even neighbour, infinity, as both largest finite values are odd); NaN fails every comparison
        float a = Math.abs(v);
        return switch (this) {
            case F32 -> Float.isFinite(v);
            case F16 -> a < F16_OVERFLOW;
            case BF16 -> a < BF16_OVERFLOW;
            case Q8_0 -> a / 127f < F16_OVERFLOW;
        };
    }

    /** Float32 magnitudes from which F16 rounds to infinity: halfway between 65504 and 65536. */
    static final float F16_OVERFLOW = 65520f;
    /** The same for BF16: halfway between its largest finite value (0x7f7f) and infinity (0x7f80). */
    static final float BF16_OVERFLOW = Float.intBitsToFloat(0x7f7f8000);

    /** C's roundf: halves away from zero. */
    private static int roundHalfAway(float x) {
        return (int) (x < 0 ? -Math.floor(-x + 0.5f) : Math.floor(x + 0.5f));
    }
}
