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
 * Tensor data may be supplied lazily ({@link DataSource}) so that big outputs stream.
 */
public final class SafetensorsWriter {
    /** Writes exactly the tensor's bytes to the channel. */
    @FunctionalInterface
    public interface DataSource {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, long bytes, DataSource source) {}

    /** Bytes encoded per write of {@link #addLazily} tensors. */
    private static final int CHUNK = 1 << 20;

    private final List<Entry> entries = new ArrayList<>();
    private ByteBuffer chunkBuffer;
    private final Map<String, String> metadata = new LinkedHashMap<>();

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
        return addStream(name, dtype, shape, (long) values.length * dtype.bytes(), out -> {
            ByteBuffer chunk = chunk();
            int per = CHUNK / dtype.bytes();
            for (int from = 0; from < values.length; from += per) {
                int n = Math.min(per, values.length - from);
                chunk.clear().limit(n * dtype.bytes());
                FloatCodec.encode(dtype, values, from, n, MemorySegment.ofBuffer(chunk));
                writeFully(out, chunk);
            }
        });
    }

    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, byte[] bytes) {
        return addStream(name, dtype, shape, bytes.length, out -> writeFully(out, ByteBuffer.wrap(bytes)));
    }

    public SafetensorsWriter addStream(String name, DType dtype, long[] shape, long byteLength, DataSource source) {
        if (entries.stream().anyMatch(e -> e.name.equals(name))) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        entries.add(new Entry(name, dtype, shape.clone(), byteLength, source));
        return this;
    }

    private ByteBuffer chunk() {
        if (chunkBuffer == null) {
            chunkBuffer = ByteBuffer.allocateDirect(CHUNK);
        }
        return chunkBuffer;
    }

    private static void checkCount(String name, long[] shape, int values) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
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
            for (Entry e : entries) {
                long before = ch.position();
                e.source.writeTo(ch);
                if (ch.position() - before != e.bytes) {
                    throw new IOException("tensor " + e.name + " wrote " + (ch.position() - before) + " bytes, expected " + e.bytes);
                }
            }
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
