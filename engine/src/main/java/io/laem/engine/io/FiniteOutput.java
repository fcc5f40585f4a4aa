package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * The one check that every tensor of an output is finite, in the dtype it is stored in (a float32
 * value beyond the F16 range becomes infinity there), run on the encoded bytes as they are written,
 * so before the output is moved into place. {@link SafetensorsWriter} runs it on every float tensor;
 * another output format calls {@link #require} on its encoded bytes, or (GGUF, {@link GgmlType#storesFinite}) checks
 * each value as it is encoded and throws {@link #notFinite}.
 */
public final class FiniteOutput {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FiniteOutput() {}

    /** Refuses encoded values of {@code dtype} (little-endian) that hold NaN or infinity, naming the file and tensor. */
    public static void require(DType dtype, MemorySegment encoded, Path file, String tensor) {
        if (!dtype.isFloat() || allFinite(dtype, encoded)) {
            return;
        }
        throw notFinite(file, tensor, dtype);
    }

    /** The one-line error of a tensor that would hold NaN or infinity as stored ({@code storedAs}: its dtype or GGML type). */
    public static LaemException notFinite(Path file, String tensor, Object storedAs) {
        return new LaemException(file + ": tensor '" + tensor + "' would hold NaN or infinity (stored as " + storedAs
                + "); nothing was written");
    }

    private static boolean allFinite(DType dtype, MemorySegment seg) {
        if (dtype != DType.F64) {
            return FloatCodec.allFinite(dtype, seg);
        }
        for (long o = 0; o + 8 <= seg.byteSize(); o += 8) {
            if (!Double.isFinite(seg.get(F64, o))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A channel that checks what a tensor's data source writes through it; elements split across two
     * writes are put together first.
     */
    static WritableByteChannel checking(WritableByteChannel out, DType dtype, Path file, String tensor) {
        if (!dtype.isFloat()) {
            return out;
        }
        return new WritableByteChannel() {
            private final byte[] carry = new byte[dtype.bytes()];
            private int carried;

            @Override
            public int write(ByteBuffer src) throws IOException {
                int start = src.position();
                int n = out.write(src);
                ByteBuffer b = src.duplicate().position(start).limit(start + n);
                while (carried > 0 && carried < carry.length && b.hasRemaining()) {
                    carry[carried++] = b.get();
                }
                if (carried == carry.length) {
                    require(dtype, MemorySegment.ofArray(carry), file, tensor);
                    carried = 0;
                }
                int whole = b.remaining() / carry.length * carry.length;
                require(dtype, MemorySegment.ofBuffer(b.slice(b.position(), whole)), file, tensor);
                b.position(b.position() + whole);
                while (b.hasRemaining()) {
                    carry[carried++] = b.get();
                }
                return n;
            }

            @Override
            public boolean isOpen() {
                return out.isOpen();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}
