package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A safetensors file over 4 GB, written sparse (only the header and the last tensor take disk
 * space): the reader maps it whole and reads the tensor at its end. Skipped where the file system
 * cannot hold such a file.
 */
class LargeFileTest {
    private static final long PAD = 4_500_000_000L; // > 2^32: offsets need 64 bits

    @TempDir
    Path tmp;

    @Test
    void tensorPastFourGigabytesReadsBack() throws IOException {
        Path p = tmp.resolve("big.safetensors");
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + PAD + "],\"data_offsets\":[0," + PAD + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + PAD + "," + (PAD + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + h.length;
        float[] tail = {1.5f, -2f, 3.25f, 1e-3f};
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            try {
                raf.setLength(dataStart + PAD + 16);
            } catch (IOException e) {
                Assumptions.abort("skipped: the file system of " + tmp + " cannot hold a sparse file of 4.5 GB (" + e.getMessage() + ")");
            }
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.seek(dataStart + PAD);
            raf.write(FloatCodec.encode(DType.F32, tail));
        } catch (IOException e) {
            Assumptions.abort("skipped: cannot write a 4.5 GB sparse file under " + tmp + ": " + e.getMessage());
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(PAD, f.info("pad").byteLength());
            assertEquals(PAD, f.info("tail").begin());
            assertArrayEquals(tail, f.floats("tail"));
            assertEquals(0, f.bytes(f.info("pad")).get(ValueLayout.JAVA_BYTE, PAD - 1));
            assertEquals(FloatCodec.encode(DType.F32, tail)[0], f.bytes(f.info("tail")).get(ValueLayout.JAVA_BYTE, 0));
        }
    }
}
