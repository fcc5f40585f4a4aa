package io.laem.engine.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.laem.engine.LaemException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file, memory-mapped with the FFM API (any size, no heap copy). Opening validates the
 * whole header against the file: every problem is a {@link LaemException} naming the file and tensor.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers beyond this are refused before any allocation (the reference implementation uses 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Header JSON: one object, nothing after it but the spaces that pad it to 8 bytes. */
    private static final ObjectReader HEADER_READER = Json.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Header header;

    /** The parsed header: tensors in data order, and the free-form metadata. */
    public record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Header header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new LaemException(path + ": empty file (0 bytes), not a safetensors file");
            }
            if (size < 8) {
                throw new LaemException(path + ": not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(I64, 0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new LaemException(path + ": header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
            }
            if (8 + n > size) {
                throw new LaemException(path + ": header length " + n + " runs past the end of the file (" + size + " bytes)");
            }
            byte[] headerBytes = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + n);
            Header header = parseHeader(path.toString(), headerBytes, data.byteSize());
            return new SafetensorsFile(path, arena, data, header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new LaemException(path + ": file not found");
        } catch (IOException e) {
            arena.close();
            throw new LaemException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses and validates a header against the size of the data section that follows it. Pure:
     * the fuzz tests call it directly.
     */
    public static Header parseHeader(String file, byte[] headerBytes, long dataSize) {
        JsonNode root;
        try {
            root = HEADER_READER.readTree(headerBytes);
        } catch (IOException | RuntimeException e) {
            throw new LaemException(file + ": header is not valid JSON: " + Json.firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new LaemException(file + ": header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                infos.add(readEntry(file, e.getKey(), e.getValue(), dataSize));
            }
        }
        infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        // As the reference implementation: the tensors tile the data section exactly, in offset order.
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        TensorInfo prev = null;
        long covered = 0;
        for (TensorInfo t : infos) {
            if (prev != null && t.begin() < prev.end()) {
                throw new LaemException(file + ": tensor '" + t.name() + "' overlaps tensor '" + prev.name()
                        + "' (bytes " + t.begin() + ".." + t.end() + " vs " + prev.begin() + ".." + prev.end() + ")");
            }
            if (t.begin() > covered) {
                throw new LaemException(file + ": tensor '" + t.name() + "' starts at byte " + t.begin() + " leaving a gap of "
                        + (t.begin() - covered) + " unaccounted bytes before it");
            }
            tensors.put(t.name(), t);
            covered = t.end();
            prev = t;
        }
        if (covered != dataSize) {
            throw new LaemException(file + ": " + (dataSize - covered) + " bytes after the last tensor"
                    + (prev == null ? "" : " '" + prev.name() + "'") + " are not described by the header");
        }
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new LaemException(file + ": __metadata__ is not an object of strings");
        }
        node.fields().forEachRemaining(m -> {
            if (!m.getValue().isTextual()) {
                throw new LaemException(file + ": __metadata__ field '" + m.getKey() + "' is not a string");
            }
            out.put(m.getKey(), m.getValue().asText());
        });
    }

    private static TensorInfo readEntry(String file, String name, JsonNode e, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!e.isObject()) {
            throw new LaemException(where + ": entry is not an object");
        }
        JsonNode dt = e.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new LaemException(where + ": missing dtype");
        }
        DType dtype = DType.parse(dt.asText()).orElseThrow(() ->
                new LaemException(where + ": unknown dtype '" + dt.asText() + "'"));
        JsonNode sh = e.get("shape");
        if (sh == null || !sh.isArray()) {
            throw new LaemException(where + ": missing shape");
        }
        long[] shape = new long[sh.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                throw new LaemException(where + ": shape " + sh + " has a non-integer dimension");
            }
            shape[i] = d.asLong();
            if (shape[i] < 0) {
                throw new LaemException(where + ": shape " + sh + " has a negative dimension");
            }
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException ex) {
                throw new LaemException(where + ": shape " + sh + " is too large");
            }
        }
        JsonNode off = e.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new LaemException(where + ": data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < 0) {
            throw new LaemException(where + ": negative data_offsets " + off);
        }
        if (end < begin) {
            throw new LaemException(where + ": data_offsets " + off + " are reversed (end before begin)");
        }
        if (begin > dataSize) {
            throw new LaemException(where + ": data_offsets " + off + " start past the end of the file (data section is "
                    + dataSize + " bytes)");
        }
        if (end > dataSize) {
            throw new LaemException(where + ": truncated: its data ends at byte " + end + " but the data section has only "
                    + dataSize + " bytes (incomplete download or copy?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(count, dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new LaemException(where + ": shape " + sh + " is too large");
        }
        if (end - begin != expected) {
            throw new LaemException(where + ": shape " + sh + " of " + dtype + " needs " + expected
                    + " bytes but data_offsets give " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Tensors in the order of their data. */
    public List<TensorInfo> tensors() {
        return List.copyOf(header.tensors().values());
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(header.tensors().get(name));
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new LaemException(path + ": no tensor '" + name + "'");
        }
        return t;
    }

    /** The raw bytes of a tensor, a view of the mapping (valid until close). */
    public MemorySegment bytes(TensorInfo t) {
        return data.asSlice(t.begin(), t.byteLength());
    }

    /** A tensor of a float dtype as float32, copied to the heap. */
    public float[] floats(String name) {
        return floats(name, false);
    }

    /** A tensor of a float dtype as float64 (F64 exactly, the others widened), copied to the heap. */
    public double[] doubles(String name) {
        TensorInfo t = info(name);
        requireFloat(t);
        double[] out = new double[heapLength(t)];
        MemorySegment seg = bytes(t);
        if (t.dtype() == DType.F64) {
            MemorySegment.copy(seg, F64, 0, out, 0, out.length);
        } else {
            float[] f = floats(name);
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
        }
        return out;
    }

    /**
     * A tensor of an integer or bool dtype as long values (signed types sign-extended, unsigned ones
     * zero-extended; U64 values above Long.MAX_VALUE come back as their two's-complement bits).
     */
    public long[] longs(String name) {
        TensorInfo t = info(name);
        long[] out = new long[heapLength(t)];
        MemorySegment seg = bytes(t);
        if (t.dtype().isFloat() || t.dtype() == DType.F8_E4M3 || t.dtype() == DType.F8_E5M2) {
            throw new LaemException(path + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected an integer type");
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = integerAt(t.dtype(), seg, i);
        }
        return out;
    }

    private static long integerAt(DType dtype, MemorySegment seg, long i) {
        return switch (dtype) {
            case I64, U64 -> seg.get(I64, 8 * i);
            case I32 -> seg.get(I32, 4 * i);
            case U32 -> Integer.toUnsignedLong(seg.get(I32, 4 * i));
            case I16 -> seg.get(I16, 2 * i);
            case U16 -> Short.toUnsignedLong(seg.get(I16, 2 * i));
            case I8 -> seg.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, i));
            default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
        };
    }

    private int heapLength(TensorInfo t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new LaemException(path + ": tensor '" + t.name() + "' has " + n + " elements, too many for one array");
        }
        return (int) n;
    }

    /** Like {@link #floats(String)} but refuses NaN and infinity, naming the first bad element. */
    public float[] finiteFloats(String name) {
        return floats(name, true);
    }

    /** Elements decoded per step, so that the finite check reads them while they are in cache. */
    private static final int DECODE_CHUNK = 1 << 14;

    private float[] floats(String name, boolean finite) {
        TensorInfo t = info(name);
        requireFloat(t);
        float[] out = new float[heapLength(t)];
        for (int from = 0; from < out.length; from += DECODE_CHUNK) {
            read(t, from, out, from, Math.min(DECODE_CHUNK, out.length - from), finite);
        }
        return out;
    }

    /**
     * Decodes elements {@code [first, first + n)} of a float tensor into {@code out[at..at + n)} as
     * float32 (a window of the mapping, for streaming without a heap copy of the tensor); with
     * {@code finite}, refuses NaN and infinity naming the tensor and the element.
     */
    public void read(TensorInfo t, long first, float[] out, int at, int n, boolean finite) {
        requireFloat(t);
        MemorySegment raw = slice(t, first, n);
        FloatCodec.decode(t.dtype(), raw, out, at, n);
        // F64 is checked after narrowing: a double beyond the float range becomes infinite
        if (finite && !(t.dtype() == DType.F64 ? FloatCodec.allFinite(DType.F32, MemorySegment.ofArray(out).asSlice(4L * at, 4L * n))
                : FloatCodec.allFinite(t.dtype(), raw))) {
            throw nonFinite(t, first, out, at, n);
        }
    }

    /**
     * The raw bytes of elements {@code [first, first + n)} of a float tensor, checked to be finite
     * (after narrowing to float32, as {@link #read} decodes them): for copying without decoding.
     */
    public MemorySegment finiteBytes(TensorInfo t, long first, int n) {
        requireFloat(t);
        MemorySegment raw = slice(t, first, n);
        if (t.dtype() == DType.F64 || !FloatCodec.allFinite(t.dtype(), raw)) {
            read(t, first, new float[n], 0, n, true);
        }
        return raw;
    }

    private MemorySegment slice(TensorInfo t, long first, int n) {
        return bytes(t).asSlice(first * t.dtype().bytes(), (long) n * t.dtype().bytes());
    }

    private LaemException nonFinite(TensorInfo t, long first, float[] out, int at, int n) {
        for (int i = at; i < at + n; i++) {
            if (!Float.isFinite(out[i])) {
                return new LaemException(path + ": tensor '" + t.name() + "' contains " + out[i] + " at element " + (first + i - at));
            }
        }
        throw new IllegalStateException("no non-finite element in " + t.name());
    }

    private void requireFloat(TensorInfo t) {
        if (!t.dtype().isFloat()) {
            throw new LaemException(path + ": tensor '" + t.name() + "' has dtype " + t.dtype() + ", expected a float type");
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
