package io.laem.engine.infer.cpu;

import io.laem.engine.io.DType;
import io.laem.engine.io.FloatCodec;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix [rows, cols] in the dtype it is stored in (F32, BF16 or F16; row-major,
 * little-endian), read in place: from a memory-mapped safetensors file or any other segment. The
 * kernels widen its elements to float32 in registers; nothing here copies the whole matrix.
 */
public record WeightView(MemorySegment bytes, DType dtype, int rows, int cols) {
    public WeightView {
        if (bytes.isNative()) {
            // one segment class for every weight the kernels read (a mapping's segments are a subclass): loads through
            // two or three classes left the tiles' call sites polymorphic, and the JIT compiled them several times slower
            bytes = bytes.reinterpret(bytes.byteSize());
        }
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("weights in " + dtype + " cannot be read by the CPU kernels (F32, BF16, F16)");
        }
        if (rows < 0 || cols <= 0 || bytes.byteSize() < (long) rows * cols * dtype.bytes()) {
            throw new IllegalArgumentException("a weight view of " + bytes.byteSize() + " bytes cannot hold [" + rows + ", " + cols + "] " + dtype);
        }
    }

    /** A float32 view of a segment (a LoRA factor the bank packed). */
    public static WeightView f32(MemorySegment bytes, int rows, int cols) {
        return new WeightView(bytes, DType.F32, rows, cols);
    }

    /** Rows {@code [from, to)} as their own view: a module's slice of a fused tensor, or the reverse. */
    public WeightView rows(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows " + from + ".." + to + " of a view of " + rows);
        }
        long rowBytes = (long) cols * dtype.bytes();
        return new WeightView(bytes.asSlice(from * rowBytes, (to - from) * rowBytes), dtype, to - from, cols);
    }

    /** The bytes the matrix occupies. */
    public long byteSize() {
        return (long) rows * cols * dtype.bytes();
    }

    /** Row {@code row} widened to float32 into {@code out[at..at + cols)} (embedding lookups, small tensors). */
    public void widenRow(int row, float[] out, int at) {
        long rowBytes = (long) cols * dtype.bytes();
        FloatCodec.decode(dtype, bytes.asSlice(row * rowBytes, rowBytes), out, at, cols);
    }

    /** Every element widened to float32: only for small tensors (norm weights, biases). */
    public float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        FloatCodec.decode(dtype, bytes, out, 0, out.length);
        return out;
    }
}
