package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * Bounded fuzzing of the header parser (a few seconds): random bytes and mutated valid headers.
 * The parser may only accept or throw LaemException; what it accepts must be a consistent layout.
 */
class SafetensorsHeaderFuzzTest {
    private static final List<String> TOKENS = List.of("{", "}", "[", "]", ",", ":", "\"", "-1", "0", "1", "4", "1e400", "1.5",
            "18446744073709551616", "9223372036854775807", "null", "true", "\"F32\"", "\"BF16\"", "\"I8\"", "\"X\"",
            "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\\u0000", "\uD800", " ", "\"a\"");
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL"};

    /** A valid header for a few tensors; returns {header, dataSize}. */
    static Object[] validHeader(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder("{");
        if (rnd.nextBoolean()) {
            sb.append("\"__metadata__\":{\"format\":\"pt\"},");
        }
        long offset = 0;
        int n = rnd.nextInt(0, 4);
        for (int i = 0; i < n; i++) {
            String dt = DTYPES[rnd.nextInt(DTYPES.length)];
            int rows = rnd.nextInt(0, 4);
            int cols = rnd.nextInt(1, 4);
            long bytes = (long) rows * cols * DType.parse(dt).orElseThrow().bytes();
            sb.append("\"t").append(i).append("\":{\"dtype\":\"").append(dt).append("\",\"shape\":[").append(rows).append(',').append(cols)
                    .append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]},");
            offset += bytes;
        }
        if (sb.charAt(sb.length() - 1) == ',') {
            sb.setLength(sb.length() - 1);
        }
        return new Object[] {sb.append('}').toString(), offset};
    }

    static void parseChecked(byte[] header, long dataSize) {
        SafetensorsFile.Header h;
        try {
            h = SafetensorsFile.parseHeader("fuzz.safetensors", header, dataSize);
        } catch (LaemException e) {
            assertTrue(e.getMessage().startsWith("fuzz.safetensors: "), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        long covered = 0;
        for (TensorInfo t : h.tensors().values()) {
            assertEquals(covered, t.begin(), "tensors tile the data section in order");
            long count = 1;
            for (long d : t.shape()) {
                assertTrue(d >= 0);
                count = Math.multiplyExact(count, d);
            }
            assertEquals(count * t.dtype().bytes(), t.byteLength());
            covered = t.end();
        }
        assertEquals(dataSize, covered);
    }

    @Property(tries = 2000, seed = "20261121")
    void randomBytes(@ForAll @Size(max = 200) byte[] header, @ForAll @LongRange(min = 0, max = 64) long dataSize) {
        parseChecked(header, dataSize);
    }

    @Property(tries = 3000, seed = "20261121")
    void mutatedValidHeaders(@ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Object[] v = validHeader(rnd);
        StringBuilder s = new StringBuilder((String) v[0]);
        long dataSize = (long) v[1];
        int mutations = rnd.nextInt(0, 4);
        for (int m = 0; m < mutations && !s.isEmpty(); m++) {
            int at = rnd.nextInt(s.length());
            switch (rnd.nextInt(4)) {
                case 0 -> s.deleteCharAt(at);
                case 1 -> s.insert(at, TOKENS.get(rnd.nextInt(TOKENS.size())));
                case 2 -> s.setCharAt(at, (char) rnd.nextInt(32, 127));
                default -> dataSize = Math.max(0, dataSize + rnd.nextInt(-8, 9));
            }
        }
        parseChecked(s.toString().getBytes(StandardCharsets.UTF_8), dataSize);
    }
}
