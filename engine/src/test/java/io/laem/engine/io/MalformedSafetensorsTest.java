package io.laem.engine.io;

import static io.laem.engine.fixtures.CliRun.laem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.CliRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of broken safetensors files, each built byte by byte, each run through {@code laem inspect}
 * in-process: exit 1 and one line of its own that names the file (and the tensor), no stack trace.
 */
class MalformedSafetensorsTest {
    @TempDir
    Path tmp;

    /** 8-byte little-endian header length, the header, then {@code data} bytes of data. */
    static byte[] file(long headerLength, String header, int data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(h).array();
    }

    static byte[] file(String header, int data) {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    /** Case name -> (file bytes, the tensor the message must name or null). */
    static Map<String, Object[]> corpus() {
        Map<String, Object[]> c = new LinkedHashMap<>();
        c.put("empty file", new Object[] {new byte[0], null});
        c.put("shorter than 8 bytes", new Object[] {new byte[] {1, 0, 0, 0, 0}, null});
        c.put("huge header length", new Object[] {file(1L << 40, "{}", 0), null});
        c.put("header past EOF", new Object[] {file(100, "{\"a\":1}", 4), null});
        c.put("invalid JSON", new Object[] {file("{\"w\":{\"dtype\":\"F32\",", 0), null});
        c.put("header not an object", new Object[] {file("[1,2,3] ", 0), null});
        c.put("garbage after the header JSON", new Object[] {file("{} xx   ", 0), null});
        c.put("truncated data", new Object[] {file("{" + tensor("w", "F32", "[4]", "[0,16]") + "}", 10), "w"});
        c.put("offsets past EOF", new Object[] {file("{" + tensor("w", "F32", "[4]", "[64,80]") + "}", 16), "w"});
        c.put("shape/size mismatch", new Object[] {file("{" + tensor("w", "F32", "[3]", "[0,16]") + "}", 16), "w"});
        c.put("unknown dtype", new Object[] {file("{" + tensor("w", "F12", "[4]", "[0,16]") + "}", 16), "w"});
        c.put("overlapping tensors", new Object[] {file("{" + tensor("a", "F32", "[2]", "[0,8]") + "," + tensor("b", "F32", "[2]", "[4,12]") + "}", 12), "b"});
        c.put("negative shape", new Object[] {file("{" + tensor("w", "F32", "[-1,4]", "[0,16]") + "}", 16), "w"});
        c.put("reversed offsets", new Object[] {file("{" + tensor("w", "F32", "[0]", "[16,0]") + "}", 16), "w"});
        c.put("gap between tensors", new Object[] {file("{" + tensor("a", "F32", "[1]", "[0,4]") + "," + tensor("b", "F32", "[1]", "[8,12]") + "}", 12), "b"});
        c.put("bytes after the last tensor", new Object[] {file("{" + tensor("a", "F32", "[1]", "[0,4]") + "}", 12), "a"});
        c.put("missing dtype", new Object[] {file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w"});
        c.put("fractional dimension", new Object[] {file("{" + tensor("w", "F32", "[1.5]", "[0,4]") + "}", 4), "w"});
        c.put("overflowing shape", new Object[] {file("{" + tensor("w", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 4), "w"});
        c.put("bad data_offsets", new Object[] {file("{" + tensor("w", "F32", "[1]", "[0]") + "}", 4), "w"});
        c.put("duplicate tensor name", new Object[] {file("{" + tensor("w", "F32", "[1]", "[0,4]") + "," + tensor("w", "F32", "[1]", "[4,8]") + "}", 8), "w"});
        c.put("metadata not strings", new Object[] {file("{\"__metadata__\":{\"format\":1}}", 0), "format"});
        c.put("entry not an object", new Object[] {file("{\"w\":[1]}", 0), "w"});
        return c;
    }

    @Test
    void everyMalformedFileGetsItsOwnOneLineError() throws IOException {
        Map<String, String> messages = new HashMap<>();
        for (Map.Entry<String, Object[]> e : corpus().entrySet()) {
            String name = e.getKey();
            Path p = tmp.resolve(name.replace(' ', '_').replace('/', '_') + ".safetensors");
            Files.write(p, (byte[]) e.getValue()[0]);
            CliRun r = laem("inspect", p.toString());
            assertEquals(1, r.code(), name + ": " + r.err());
            assertEquals("", r.out(), name);
            String err = r.err().strip();
            assertFalse(err.contains("\n"), name + ": more than one line: " + err);
            assertTrue(err.startsWith("laem: " + p + ": "), name + ": " + err);
            assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains("internal error"), name + ": " + err);
            String tensor = (String) e.getValue()[1];
            if (tensor != null) {
                assertTrue(err.contains("'" + tensor + "'"), name + " must name '" + tensor + "': " + err);
            }
            String generic = err.substring(("laem: " + p).length()).replaceAll("\\d+", "N");
            String before = messages.put(generic, name);
            assertEquals(null, before, "'" + name + "' and '" + before + "' give the same message: " + err);
        }
    }

    @Test
    void theMessagesSayWhatIsWrong() throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("empty file", ": empty file (0 bytes), not a safetensors file");
        expected.put("shorter than 8 bytes", ": not a safetensors file: 5 bytes, shorter than the 8-byte header length");
        expected.put("header past EOF", ": header length 100 runs past the end of the file (19 bytes)");
        expected.put("truncated data", ": tensor 'w': truncated: its data ends at byte 16 but the data section has only 10 bytes (incomplete download or copy?)");
        expected.put("offsets past EOF", ": tensor 'w': data_offsets [64,80] start past the end of the file (data section is 16 bytes)");
        expected.put("shape/size mismatch", ": tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets give 16");
        expected.put("unknown dtype", ": tensor 'w': unknown dtype 'F12'");
        expected.put("overlapping tensors", ": tensor 'b' overlaps tensor 'a' (bytes 4..12 vs 0..8)");
        expected.put("negative shape", ": tensor 'w': shape [-1,4] has a negative dimension");
        expected.put("reversed offsets", ": tensor 'w': data_offsets [16,0] are reversed (end before begin)");
        Map<String, Object[]> corpus = corpus();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path p = tmp.resolve("m.safetensors");
            Files.write(p, (byte[]) corpus.get(e.getKey())[0]);
            assertEquals("laem: " + p + e.getValue(), laem("inspect", p.toString()).err().strip(), e.getKey());
        }
    }

    @Test
    void missingPathAndBadUsage() {
        CliRun missing = laem("inspect", tmp.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code());
        assertEquals("laem: " + tmp.resolve("nope.safetensors") + ": no such file or folder", missing.err().strip());
        assertEquals(2, laem("inspect").code());
        assertEquals(2, laem("inspect", "--bogus", "x").code());
        assertEquals(2, laem("no-such-command").code());
        CliRun help = laem("inspect", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--base"));
    }
}
