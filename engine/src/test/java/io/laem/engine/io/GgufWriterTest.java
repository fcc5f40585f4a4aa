package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GGUF v3 layout, read back by an independent minimal reader written from the GGUF spec. */
class GgufWriterTest {
    @TempDir
    Path tmp;

    /** What the reader finds: metadata values and, per tensor, its GGUF dims (innermost first), type id and raw bytes. */
    record Tensor(long[] ne, int type, long offset, byte[] data) {}

    record Read(int version, Map<String, Object> kv, Map<String, Tensor> tensors, long dataStart) {}

    static Read read(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x46554747, b.getInt(), "magic GGUF");
        int version = b.getInt();
        long nt = b.getLong();
        long nkv = b.getLong();
        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < nkv; i++) {
            String k = str(b);
            kv.put(k, value(b, b.getInt()));
        }
        List<String> names = new ArrayList<>();
        Map<String, long[]> dims = new LinkedHashMap<>();
        Map<String, int[]> types = new LinkedHashMap<>();
        Map<String, Long> offsets = new LinkedHashMap<>();
        for (long i = 0; i < nt; i++) {
            String n = str(b);
            long[] ne = new long[b.getInt()];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = b.getLong();
            }
            names.add(n);
            dims.put(n, ne);
            types.put(n, new int[] {b.getInt()});
            offsets.put(n, b.getLong());
        }
        long align = ((Number) kv.getOrDefault("general.alignment", 32L)).longValue();
        long dataStart = (b.position() + align - 1) / align * align;
        Map<String, Tensor> ts = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            long end = i + 1 < names.size() ? offsets.get(names.get(i + 1)) : b.capacity() - dataStart;
            byte[] d = new byte[(int) (end - offsets.get(n))];
            b.get((int) (dataStart + offsets.get(n)), d);
            ts.put(n, new Tensor(dims.get(n), types.get(n)[0], offsets.get(n), d));
        }
        return new Read(version, kv, ts, dataStart);
    }

    static String str(ByteBuffer b) {
        byte[] s = new byte[(int) b.getLong()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    static Object value(ByteBuffer b, int type) {
        return switch (type) {
            case 4 -> (long) b.getInt() & 0xffffffffL;
            case 5 -> b.getInt();
            case 6 -> b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> str(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                List<Object> l = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    l.add(value(b, et));
                }
                yield l;
            }
            default -> throw new AssertionError("type " + type);
        };
    }

    @Test
    void headerMetadataAndTensorsFollowGgufV3() throws IOException {
        float[] m = new float[3 * 5];
        for (int i = 0; i < m.length; i++) {
            m[i] = i * 0.5f - 3;
        }
        Path f = tmp.resolve("x.gguf");
        new GgufWriter().putString("general.architecture", "llama").putU32("llama.block_count", 7).putF32("eps", 1e-6)
                .putBool("flag", true).putStrings("toks", List.of("a", "Ġb", "<s>")).putInts("types", new int[] {1, 3, -1})
                .putFloats("scores", new float[] {-1.5f})
                .addTensor("m", GgmlType.F32, new long[] {3, 5}, sink -> {
                    sink.accept(m, 0, 4); // chunks need not follow rows
                    sink.accept(m, 4, 11);
                })
                .addTensor("v", GgmlType.F16, new long[] {3}, sink -> sink.accept(new float[] {1, -2, 0.5f}))
                .addTensor("h", GgmlType.BF16, new long[] {1, 2}, sink -> sink.accept(new float[] {3, -0.25f}))
                .write(f);
        Read r = read(f);
        assertEquals(3, r.version());
        assertEquals("llama", r.kv().get("general.architecture"));
        assertEquals(32L, r.kv().get("general.alignment"));
        assertEquals(7L, r.kv().get("llama.block_count"));
        assertEquals(1e-6f, (float) r.kv().get("eps"));
        assertEquals(true, r.kv().get("flag"));
        assertEquals(List.of("a", "Ġb", "<s>"), r.kv().get("toks"));
        assertEquals(List.of(1, 3, -1), r.kv().get("types"));
        assertEquals(List.of(-1.5f), r.kv().get("scores"));
        assertEquals(0, r.dataStart() % 32);
        Tensor t = r.tensors().get("m");
        assertArrayEquals(new long[] {5, 3}, t.ne(), "dims innermost first");
        assertEquals(0, t.type());
        ByteBuffer d = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : m) {
            assertEquals(x, d.getFloat());
        }
        Tensor v = r.tensors().get("v");
        assertEquals(1, v.type());
        assertEquals(0, v.offset() % 32);
        ByteBuffer vd = ByteBuffer.wrap(v.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-2f, Float.float16ToFloat(vd.getShort(2)));
        Tensor h = r.tensors().get("h");
        assertEquals(30, h.type());
        assertEquals(0, h.offset() % 32);
        assertEquals((short) 0x4040, ByteBuffer.wrap(h.data()).order(ByteOrder.LITTLE_ENDIAN).getShort(0), "bf16 of 3");
    }

    @Test
    void q8BlocksHoldAFloat16ScaleAndRoundedBytes() throws IOException {
        float[] x = new float[64];
        x[0] = 127; // max |x| 127: d = 1 exactly
        x[5] = 2.5f; // half way: away from zero
        x[6] = -2.5f;
        x[7] = 1.4f;
        x[8] = -127;
        // x[32..63] = 0: an all-zero block has d 0 and every byte 0
        Path f = tmp.resolve("q.gguf");
        new GgufWriter().addTensor("q", GgmlType.Q8_0, new long[] {2, 32}, sink -> {
            for (int i = 0; i < 64; i += 7) { // partial blocks across calls
                sink.accept(x, i, Math.min(7, 64 - i));
            }
        }).write(f);
        Tensor t = read(f).tensors().get("q");
        assertEquals(8, t.type());
        assertArrayEquals(new long[] {32, 2}, t.ne());
        ByteBuffer d = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Float.floatToFloat16(1f), d.getShort(0));
        assertEquals(127, d.get(2));
        assertEquals(3, d.get(2 + 5), "half way rounds away from zero");
        assertEquals(-3, d.get(2 + 6));
        assertEquals(1, d.get(2 + 7));
        assertEquals(-127, d.get(2 + 8));
        assertEquals(0, d.getShort(34));
        for (int i = 0; i < 32; i++) {
            assertEquals(0, d.get(36 + i));
        }
    }

    @Test
    void encodedValuesAreCopiedAsTheyAreBetweenFloatValuesAndOnlyAsWholeBlocks() throws IOException {
        float[] x = {1.5f, -2, 0.25f, 3, -0.125f};
        MemorySegment bf16 = MemorySegment.ofArray(new byte[2 * 3]);
        FloatCodec.encode(DType.BF16, x, 1, 3, bf16);
        Path f = tmp.resolve("e.gguf");
        new GgufWriter().addTensor("e", GgmlType.BF16, new long[] {5}, sink -> {
            sink.accept(x, 0, 1);
            sink.acceptEncoded(bf16);
            sink.accept(x, 4, 1);
        }).write(f);
        Path g = tmp.resolve("f.gguf");
        new GgufWriter().addTensor("e", GgmlType.BF16, new long[] {5}, sink -> sink.accept(x)).write(g);
        assertArrayEquals(Files.readAllBytes(g), Files.readAllBytes(f));
        MemorySegment q8 = MemorySegment.ofArray(new byte[34]);
        assertThrows(IllegalStateException.class, () -> new GgufWriter().addTensor("q", GgmlType.Q8_0, new long[] {64}, sink -> {
            sink.accept(x, 0, 1);
            sink.acceptEncoded(q8); // after a partial block
        }).write(tmp.resolve("q.gguf")));
        GgufWriter.Sink scaling = (v, from, n) -> {};
        assertThrows(UnsupportedOperationException.class, () -> scaling.acceptEncoded(bf16), "a sink that changes values takes no bytes");
    }

    @Test
    void aBodyThatProducesTheWrongCountLeavesNoFile() {
        Path f = tmp.resolve("bad.gguf");
        assertThrows(IllegalStateException.class, () -> new GgufWriter()
                .addTensor("t", GgmlType.F32, new long[] {4}, sink -> sink.accept(new float[3])).write(f));
        assertFalse(Files.exists(f));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("t", GgmlType.Q8_0, new long[] {2, 20}, sink -> {}));
    }
}
