package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir
    Path tmp;

    private static byte[] le(int bytesPer, long... values) {
        ByteBuffer b = ByteBuffer.allocate(bytesPer * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPer) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    @Test
    void lazilyEncodedTensorsMatchEagerOnesAcrossChunks() throws IOException {
        // 300k elements: more than one 1 MiB encoding chunk in every dtype, and several decode chunks
        float[] f = new float[300_001];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) Math.sin(i * 0.37) * (1 + i % 7);
        }
        for (DType d : List.of(DType.F32, DType.F16, DType.BF16, DType.F64)) {
            Path eager = tmp.resolve("eager-" + d + ".safetensors");
            Path lazy = tmp.resolve("lazy-" + d + ".safetensors");
            new SafetensorsWriter().add("x", d, new long[] {f.length}, f).write(eager);
            new SafetensorsWriter().addLazily("x", d, new long[] {f.length}, f).write(lazy);
            assertArrayEquals(Files.readAllBytes(eager), Files.readAllBytes(lazy), d.toString());
        }
        try (SafetensorsFile s = SafetensorsFile.open(tmp.resolve("lazy-F32.safetensors"))) {
            assertArrayEquals(f, s.finiteFloats("x"));
        }
    }

    @Test
    void finiteFloatsNamesTheFirstBadElementPastTheFirstChunk() {
        float[] f = new float[50_000];
        f[40_000] = Float.NEGATIVE_INFINITY;
        f[45_000] = Float.NaN;
        Path p = tmp.resolve("bad.safetensors");
        new SafetensorsWriter().allowNonFinite().add("x", DType.F32, new long[] {f.length}, f).write(p);
        try (SafetensorsFile s = SafetensorsFile.open(p)) {
            assertEquals(f.length, s.floats("x").length);
            LaemException e = assertThrows(LaemException.class, () -> s.finiteFloats("x"));
            assertEquals(p + ": tensor 'x' contains -Infinity at element 40000", e.getMessage());
        }
    }

    @Test
    void everyDtypeReadsBackAsWritten() throws IOException {
        float[] f = {1f, -2.5f, 0.1f, 3e-3f, 65504f, -0f};
        Path p = tmp.resolve("all.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt").metadata("note", "ü unicode")
                .add("f32", DType.F32, new long[] {2, 3}, f)
                .add("f16", DType.F16, new long[] {6}, f)
                .add("bf16", DType.BF16, new long[] {3, 2}, f)
                .add("f64", DType.F64, new long[] {6}, f)
                .addRaw("i64", DType.I64, new long[] {3}, le(8, Long.MIN_VALUE, -1, Long.MAX_VALUE))
                .addRaw("i32", DType.I32, new long[] {2}, le(4, Integer.MIN_VALUE, 7))
                .addRaw("u32", DType.U32, new long[] {1}, le(4, 0xFFFF_FFFFL))
                .addRaw("i16", DType.I16, new long[] {2}, le(2, -3, 300))
                .addRaw("u16", DType.U16, new long[] {1}, le(2, 0xFFFF))
                .addRaw("i8", DType.I8, new long[] {2}, le(1, -128, 127))
                .addRaw("u8", DType.U8, new long[] {1}, le(1, 255))
                .addRaw("bool", DType.BOOL, new long[] {2}, le(1, 0, 1))
                .addRaw("scalar", DType.I64, new long[] {}, le(8, 42))
                .addRaw("empty", DType.F32, new long[] {0, 4}, new byte[0])
                .write(p);
        try (SafetensorsFile s = SafetensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt", "note", "ü unicode"), s.metadata());
            assertEquals(List.of("f32", "f16", "bf16", "f64", "i64", "i32", "u32", "i16", "u16", "i8", "u8", "bool", "scalar", "empty"),
                    s.tensors().stream().map(TensorInfo::name).toList());
            assertArrayEquals(f, s.floats("f32"));
            assertArrayEquals(new long[] {2, 3}, s.info("f32").shape());
            assertEquals(DType.F16, s.info("f16").dtype());
            float[] h = s.floats("f16");
            for (int i = 0; i < f.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(f[i])), h[i]);
                assertEquals(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(f[i])), s.floats("bf16")[i]);
                assertEquals((double) f[i], s.doubles("f64")[i]);
            }
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, s.longs("i64"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, 7}, s.longs("i32"));
            assertArrayEquals(new long[] {0xFFFF_FFFFL}, s.longs("u32"));
            assertArrayEquals(new long[] {-3, 300}, s.longs("i16"));
            assertArrayEquals(new long[] {0xFFFF}, s.longs("u16"));
            assertArrayEquals(new long[] {-128, 127}, s.longs("i8"));
            assertArrayEquals(new long[] {255}, s.longs("u8"));
            assertArrayEquals(new long[] {0, 1}, s.longs("bool"));
            assertArrayEquals(new long[] {42}, s.longs("scalar"));
            assertEquals(0, s.floats("empty").length);
            assertEquals(8, s.bytes(s.info("i64")).byteSize() / 3);
            assertEquals(-1L, s.bytes(s.info("i64")).get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
            LaemException e = assertThrows(LaemException.class, () -> s.floats("i32"));
            assertEquals(p + ": tensor 'i32' has dtype I32, expected a float type", e.getMessage());
            e = assertThrows(LaemException.class, () -> s.longs("f32"));
            assertEquals(p + ": tensor 'f32' has dtype F32, expected an integer type", e.getMessage());
            e = assertThrows(LaemException.class, () -> s.info("nope"));
            assertEquals(p + ": no tensor 'nope'", e.getMessage());
        }
    }

    @Test
    void f64KeepsDoublePrecisionThroughDoubles() {
        Path p = tmp.resolve("d.safetensors");
        byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(Math.PI).array();
        new SafetensorsWriter().addRaw("pi", DType.F64, new long[] {1}, raw).write(p);
        try (SafetensorsFile s = SafetensorsFile.open(p)) {
            assertEquals(Math.PI, s.doubles("pi")[0]);
            assertEquals((float) Math.PI, s.floats("pi")[0]);
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesAndDataIsContiguous() throws IOException {
        for (int len = 1; len <= 9; len++) {
            Path p = tmp.resolve("pad" + len + ".safetensors");
            new SafetensorsWriter().add("t".repeat(len), DType.F32, new long[] {1}, new float[] {1}).write(p);
            byte[] all = Files.readAllBytes(p);
            long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length " + n);
            assertEquals(8 + n + 4, all.length);
            String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{\"" + "t".repeat(len) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), header);
            assertTrue(header.substring(header.lastIndexOf('}') + 1).isBlank());
        }
    }

    @Test
    void streamedTensorOfWrongLengthFailsWithoutOutput() {
        Path p = tmp.resolve("bad.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().addStream("x", DType.F32, new long[] {2}, 8,
                out -> SafetensorsWriter.writeFully(out, ByteBuffer.allocate(4)));
        LaemException e = assertThrows(LaemException.class, () -> w.write(p));
        assertTrue(e.getMessage().contains("tensor x wrote 4 bytes, expected 8"), e.getMessage());
        assertTrue(!Files.exists(p));
    }

    @Test
    void writerRefusesDuplicatesAndWrongCounts() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", DType.F32, new long[] {1}, new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> w.add("a", DType.F32, new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", DType.F32, new long[] {3}, new float[] {1}));
    }
}
