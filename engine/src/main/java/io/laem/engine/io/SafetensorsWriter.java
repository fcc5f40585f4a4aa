package io.laem.engine.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a safetensors file: tensors are written in the order added, the header is padded with
 * spaces to a multiple of 8 bytes, and {@link #write(Path)} writes a temporary file and moves it into place.
 * Tensor data may be supplied lazily ({@link DataSource}) so that big outputs stream. Every float
 * tensor is checked finite as it is written ({@link FiniteOutput}): an output with NaN or infinity is
 * never moved into place.
 */
public final class SafetensorsWriter {
    /** Writes exactly the tensor's bytes to the channel. */
    @FunctionalInterface
    public interface DataSource {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /** Receives a tensor's values as float32, in order, and stores them in the tensor's dtype. */
    public interface FloatSink {
        void accept(float[] values, int from, int n) throws IOException;

        /** Values already encoded in the tensor's dtype (little-endian), copied as they are. */
        void acceptEncoded(MemorySegment bytes) throws IOException;
    }

    /** Pushes exactly the tensor's values, in order, to the sink (e.g. computed chunk by chunk from mapped inputs). */
    @FunctionalInterface
    public interface Producer {
        void produce(FloatSink sink) throws IOException;
    }

    /** One of {@code source} (writes bytes to the channel) or {@code producer} (pushes floats through the shared buffer). */
    private record Entry(String name, DType dtype, long[] shape, long bytes, DataSource source, Producer producer) {}

    /**
     * Bytes of produced tensors encoded per write: one direct buffer, shared by consecutive tensors,
     * small enough to stay in cache between the encoding and the kernel's copy.
     */
    private static final int CHUNK = 1 << 20;

    private final List<Entry> entries = new ArrayList<>();
    private boolean checkFinite = true;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /**
     * Writes NaN and infinity as given: only for files that must hold them, such as the bad inputs
     * of the readers' tests. Nothing the tool outputs uses it.
     */
    public SafetensorsWriter allowNonFinite() {
        checkFinite = false;
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> all) {
        metadata.putAll(all);
        return this;
    }

    /** Adds float32 values, stored as {@code dtype}. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        checkCount(name, shape, values.length);
        byte[] bytes = FloatCodec.encode(dtype, values);
        return addRaw(name, dtype, shape, bytes);
    }

    /**
     * Adds float32 values, stored as {@code dtype}, encoded only while the file is written, in chunks
     * through one direct buffer (no byte copy of the tensor on the heap). The array must not change
     * until the file is written; for F16/BF16 outputs this holds the float32 values meanwhile.
     */
    public SafetensorsWriter addLazily(String name, DType dtype, long[] shape, float[] values) {
        checkCount(name, shape, values.length);
        return addProduced(name, dtype, shape, sink -> sink.accept(values, 0, values.length));
    }

    /**
     * Adds a tensor whose float32 values {@code producer} pushes while the file is written, stored as
     * {@code dtype}; the writer encodes them into one direct buffer and writes it when full, so nothing
     * of the tensor is held on the heap.
     */
    public SafetensorsWriter addProduced(String name, DType dtype, long[] shape, Producer producer) {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException(name + ": not a float dtype: " + dtype);
        }
        return add(new Entry(name, dtype, shape.clone(), Math.multiplyExact(elementCount(shape), dtype.bytes()), null, producer));
    }

    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, byte[] bytes) {
        return addStream(name, dtype, shape, bytes.length, out -> writeFully(out, ByteBuffer.wrap(bytes)));
    }

    public SafetensorsWriter addStream(String name, DType dtype, long[] shape, long byteLength, DataSource source) {
        return add(new Entry(name, dtype, shape.clone(), byteLength, source, null));
    }

    private SafetensorsWriter add(Entry e) {
        if (entries.stream().anyMatch(x -> x.name.equals(e.name))) {
            throw new IllegalArgumentException("duplicate tensor " + e.name);
        }
        entries.add(e);
        return this;
    }

    private static long elementCount(long[] shape) {
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    private static void checkCount(String name, long[] shape, int values) {
        long count = elementCount(shape);
        if (count != values) {
            throw new IllegalArgumentException(name + ": shape needs " + count + " values, got " + values);
        }
    }

    public int size() {
        return entries.size();
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.stream().mapToLong(Entry::bytes).sum();
    }

    /** Writes atomically: temp file, then move. */
    public void write(Path target) {
        AtomicFiles.writeFile(target, this::writeDirect);
    }

    /** Writes straight to {@code file} (for use inside an atomic directory write). */
    public void writeDirect(Path file) throws IOException {
        byte[] header = headerBytes();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            BufferedSink sink = null;
            for (Entry e : entries) {
                if (e.producer != null) {
                    if (sink == null) {
                        sink = new BufferedSink(ch, checkFinite ? file : null);
                    }
                    sink.begin(e.dtype, e.name);
                    e.producer.produce(sink);
                    if (sink.tensorBytes != e.bytes) {
                        throw new IOException("tensor " + e.name + " produced " + sink.tensorBytes + " bytes, expected " + e.bytes);
                    }
                    continue;
                }
                if (sink != null) {
                    sink.flush();
                }
                long before = ch.position();
                e.source.writeTo(checkFinite ? FiniteOutput.checking(ch, e.dtype, file, e.name) : ch);
                if (ch.position() - before != e.bytes) {
                    throw new IOException("tensor " + e.name + " wrote " + (ch.position() - before) + " bytes, expected " + e.bytes);
                }
            }
            if (sink != null) {
                sink.flush();
            }
        }
    }

    /** Encodes produced values into one direct buffer and writes it to the channel whenever it is full. */
    private static final class BufferedSink implements FloatSink {
        private final FileChannel ch;
        private final Path file;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        private final MemorySegment segment = MemorySegment.ofBuffer(buffer);
        private DType dtype;
        private String tensor;
        private long tensorBytes;

        BufferedSink(FileChannel ch, Path file) {
            this.ch = ch;
            this.file = file;
        }

        void begin(DType d, String name) {
            dtype = d;
            tensor = name;
            tensorBytes = 0;
        }

        @Override
        public void accept(float[] values, int from, int n) throws IOException {
            int size = dtype.bytes();
            while (n > 0) {
                int room = (CHUNK - buffer.position()) / size;
                if (room == 0) {
                    flush();
                    continue;
                }
                int k = Math.min(room, n);
                MemorySegment encoded = segment.asSlice(buffer.position(), (long) k * size);
                FloatCodec.encode(dtype, values, from, k, encoded);
                if (file != null) {
                    FiniteOutput.require(dtype, encoded, file, tensor);
                }
                buffer.position(buffer.position() + k * size);
                tensorBytes += (long) k * size;
                from += k;
                n -= k;
            }
        }

        @Override
        public void acceptEncoded(MemorySegment bytes) throws IOException {
            if (file != null) {
                FiniteOutput.require(dtype, bytes, file, tensor);
            }
            long from = 0;
            long size = bytes.byteSize();
            while (from < size) {
                if (buffer.position() == CHUNK) {
                    flush();
                }
                int k = (int) Math.min(CHUNK - buffer.position(), size - from);
                MemorySegment.copy(bytes, from, segment, buffer.position(), k);
                buffer.position(buffer.position() + k);
                tensorBytes += k;
                from += k;
            }
        }

        void flush() throws IOException {
            buffer.flip();
            writeFully(ch, buffer);
            buffer.clear();
        }
    }

    private byte[] headerBytes() {
        ObjectNode root = Json.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode s = t.putArray("shape");
            for (long d : e.shape) {
                s.add(d);
            }
            ArrayNode o = t.putArray("data_offsets");
            o.add(offset);
            offset += e.bytes;
            o.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    public static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
