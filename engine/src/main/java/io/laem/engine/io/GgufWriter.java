package io.laem.engine.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file (llama.cpp's model and adapter format): the header, the key-value metadata,
 * the tensor infos and the tensor data, each tensor at an offset aligned to {@link #ALIGNMENT}
 * (recorded as {@code general.alignment}). Shapes are given row-major as everywhere in the engine
 * ({@code [rows, cols]}); GGUF stores dimensions innermost first, so they are written reversed.
 * Tensor data is produced while the file is written, one tensor at a time, so a model's weights never
 * sit in memory together. The file is written atomically ({@link AtomicFiles}).
 */
public final class GgufWriter {
    public static final int ALIGNMENT = 32;
    private static final int VERSION = 3;
    private static final int T_UINT32 = 4;
    private static final int T_INT32 = 5;
    private static final int T_FLOAT32 = 6;
    private static final int T_BOOL = 7;
    private static final int T_STRING = 8;
    private static final int T_ARRAY = 9;

    /** Produces a tensor's values in row-major order into the sink, in chunks of any size. */
    @FunctionalInterface
    public interface TensorBody {
        void write(Sink sink) throws IOException;
    }

    /**
     * Receives float values and encodes them in the tensor's type; the tensor's own sink also takes
     * values already encoded in that type (little-endian, whole blocks), copied as they are.
     */
    public interface Sink extends SafetensorsWriter.FloatSink {
        default void accept(float[] values) throws IOException {
            accept(values, 0, values.length);
        }

        /** Only the tensor's own sink takes encoded values; one that changes the values on their way does not. */
        @Override
        default void acceptEncoded(MemorySegment bytes) throws IOException {
            throw new UnsupportedOperationException("this sink takes float values only");
        }
    }

    private record Tensor(String name, GgmlType type, long[] shape, long count, long bytes, TensorBody body) {}

    private final Map<String, Object[]> metadata = new LinkedHashMap<>(); // key -> {type, value}
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter() {
        putU32("general.alignment", ALIGNMENT);
    }

    public GgufWriter putString(String key, String value) {
        metadata.put(key, new Object[] {T_STRING, value});
        return this;
    }

    public GgufWriter putU32(String key, long value) {
        metadata.put(key, new Object[] {T_UINT32, value});
        return this;
    }

    public GgufWriter putF32(String key, double value) {
        metadata.put(key, new Object[] {T_FLOAT32, (float) value});
        return this;
    }

    public GgufWriter putBool(String key, boolean value) {
        metadata.put(key, new Object[] {T_BOOL, value});
        return this;
    }

    public GgufWriter putStrings(String key, List<String> values) {
        metadata.put(key, new Object[] {T_ARRAY, T_STRING, List.copyOf(values)});
        return this;
    }

    public GgufWriter putInts(String key, int[] values) {
        metadata.put(key, new Object[] {T_ARRAY, T_INT32, values.clone()});
        return this;
    }

    public GgufWriter putFloats(String key, float[] values) {
        metadata.put(key, new Object[] {T_ARRAY, T_FLOAT32, values.clone()});
        return this;
    }

    /** Whether a key is set. */
    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /**
     * Adds a tensor of row-major {@code shape}, whose values {@code body} produces when the file is
     * written. The last dimension must be a multiple of the type's block size.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorBody body) {
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[shape.length - 1] + " is not a multiple of " + type
                    + "'s block size " + type.blockSize());
        }
        tensors.add(new Tensor(name, type, shape.clone(), count, type.bytes(count), body));
        return this;
    }

    /** Writes the file atomically. */
    public void write(Path file) {
        AtomicFiles.writeFile(file, this::writeInto);
    }

    /** Writes the file in place (for a file inside a folder that is itself written atomically). */
    public void writeInto(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Out out = new Out(ch);
            out.u32(0x46554747); // "GGUF"
            out.u32(VERSION);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (Map.Entry<String, Object[]> e : metadata.entrySet()) {
                out.string(e.getKey());
                writeValue(out, e.getValue());
            }
            long offset = 0;
            for (Tensor t : tensors) {
                out.string(t.name);
                out.u32(t.shape.length);
                for (int i = t.shape.length - 1; i >= 0; i--) {
                    out.u64(t.shape[i]);
                }
                out.u32(t.type.id());
                out.u64(offset);
                offset = align(offset + t.bytes);
            }
            out.pad();
            for (Tensor t : tensors) {
                long start = out.written;
                TensorSink sink = new TensorSink(out, t, file);
                t.body.write(sink);
                sink.finish();
                if (out.written - start != t.bytes) {
                    throw new IllegalStateException(t.name + ": produced " + (out.written - start) + " bytes, expected " + t.bytes);
                }
                out.pad();
            }
            out.flush();
        }
    }

    private static void writeValue(Out out, Object[] v) throws IOException {
        int type = (int) v[0];
        out.u32(type);
        switch (type) {
            case T_STRING -> out.string((String) v[1]);
            case T_UINT32 -> out.u32((long) v[1]);
            case T_FLOAT32 -> out.f32((float) v[1]);
            case T_BOOL -> out.u8((boolean) v[1] ? 1 : 0);
            case T_ARRAY -> {
                int elem = (int) v[1];
                out.u32(elem);
                switch (elem) {
                    case T_STRING -> {
                        @SuppressWarnings("unchecked")
                        List<String> s = (List<String>) v[2];
                        out.u64(s.size());
                        for (String x : s) {
                            out.string(x);
                        }
                    }
                    case T_INT32 -> {
                        int[] a = (int[]) v[2];
                        out.u64(a.length);
                        for (int x : a) {
                            out.u32(x & 0xffffffffL);
                        }
                    }
                    case T_FLOAT32 -> {
                        float[] a = (float[]) v[2];
                        out.u64(a.length);
                        for (float x : a) {
                            out.f32(x);
                        }
                    }
                    default -> throw new IllegalStateException("array of type " + elem);
                }
            }
            default -> throw new IllegalStateException("value of type " + type);
        }
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Encodes values into the tensor's type; values of a partial block wait for the rest. */
    private static final class TensorSink implements Sink {
        private final Out out;
        private final Tensor tensor;
        private final Path file;
        private final float[] pending;
        private int pendingCount;
        private long accepted;

        TensorSink(Out out, Tensor tensor, Path file) {
            this.out = out;
            this.tensor = tensor;
            this.file = file;
            this.pending = new float[tensor.type.blockSize()];
        }

        @Override
        public void accept(float[] v, int from, int count) throws IOException {
            accepted += count;
            if (accepted > tensor.count) {
                throw new IllegalStateException(tensor.name + ": more than " + tensor.count + " values produced");
            }
            // values are scaled on their way (rank / alpha, Gemma's query factor) and rounded to the type: checked here,
            // so a finite input that overflows is refused before the file is moved into place
            for (int i = from; i < from + count; i++) {
                if (!tensor.type.storesFinite(v[i])) {
                    throw FiniteOutput.notFinite(file, tensor.name, tensor.type);
                }
            }
            int bs = pending.length;
            while (count > 0 && (pendingCount > 0 || count < bs)) {
                int n = Math.min(count, bs - pendingCount);
                System.arraycopy(v, from, pending, pendingCount, n);
                pendingCount += n;
                from += n;
                count -= n;
                if (pendingCount == bs) {
                    out.encode(tensor.type, pending, 0, bs);
                    pendingCount = 0;
                }
            }
            int whole = count / bs * bs;
            for (int done = 0; done < whole; ) {
                int n = Math.min(whole - done, Out.CHUNK_VALUES / bs * bs);
                out.encode(tensor.type, v, from + done, n);
                done += n;
            }
            if (count > whole) {
                System.arraycopy(v, from + whole, pending, 0, count - whole);
                pendingCount = count - whole;
            }
        }

        @Override
        public void acceptEncoded(MemorySegment bytes) throws IOException {
            long blockBytes = tensor.type.bytes(tensor.type.blockSize());
            long blocks = bytes.byteSize() / blockBytes;
            if (pendingCount != 0 || blocks * blockBytes != bytes.byteSize()) {
                throw new IllegalStateException(tensor.name + ": encoded values must be whole blocks, after whole blocks");
            }
            accepted += blocks * tensor.type.blockSize();
            if (accepted > tensor.count) {
                throw new IllegalStateException(tensor.name + ": more than " + tensor.count + " values produced");
            }
            out.copy(bytes);
        }

        void finish() {
            if (accepted != tensor.count || pendingCount != 0) {
                throw new IllegalStateException(tensor.name + ": produced " + accepted + " values, expected " + tensor.count);
            }
        }
    }

    /** A little-endian buffered writer over the channel that counts the bytes written. */
    private static final class Out {
        static final int CHUNK_VALUES = 1 << 14;
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }

        void u8(int v) throws IOException {
            room(1);
            buf.put((byte) v);
            written += 1;
        }

        void u32(long v) throws IOException {
            room(4);
            buf.putInt((int) v);
            written += 4;
        }

        void u64(long v) throws IOException {
            room(8);
            buf.putLong(v);
            written += 8;
        }

        void f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
            written += 4;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            for (int i = 0; i < b.length; ) {
                room(1);
                int n = Math.min(b.length - i, buf.remaining());
                buf.put(b, i, n);
                i += n;
            }
            written += b.length;
        }

        void encode(GgmlType type, float[] v, int from, int n) throws IOException {
            int bytes = (int) type.bytes(n);
            room(bytes);
            type.encode(v, from, n, buf);
            written += bytes;
        }

        void copy(MemorySegment bytes) throws IOException {
            for (long from = 0; from < bytes.byteSize(); ) {
                if (!buf.hasRemaining()) {
                    flush();
                }
                int n = (int) Math.min(buf.remaining(), bytes.byteSize() - from);
                buf.put(bytes.asSlice(from, n).asByteBuffer());
                from += n;
                written += n;
            }
        }

        void pad() throws IOException {
            while (written % ALIGNMENT != 0) {
                u8(0);
            }
        }
    }
}
