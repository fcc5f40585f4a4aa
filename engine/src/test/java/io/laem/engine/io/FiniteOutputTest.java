package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No output holding NaN or infinity is moved into place, however its tensors reach the writer. */
class FiniteOutputTest {
    @TempDir
    Path tmp;

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.toList();
        }
    }

    private void refused(SafetensorsWriter w, String tensor, DType stored) throws IOException {
        Path out = tmp.resolve("out.safetensors");
        LaemException e = assertThrows(LaemException.class, () -> w.write(out));
        assertEquals(out + ": tensor '" + tensor + "' would hold NaN or infinity (stored as " + stored + "); nothing was written",
                e.getMessage());
        assertEquals(List.of(), entries());
    }

    @Test
    void nanInEagerLazyOrProducedValuesIsRefused() throws IOException {
        float[] ok = {1, 2, 3, 4};
        float[] bad = {1, Float.NaN, 3, 4};
        refused(new SafetensorsWriter().add("a", DType.F32, new long[] {4}, ok).add("b", DType.F32, new long[] {4}, bad), "b", DType.F32);
        refused(new SafetensorsWriter().addLazily("a", DType.BF16, new long[] {2, 2}, new float[] {0, Float.POSITIVE_INFINITY, 0, 0}),
                "a", DType.BF16);
        refused(new SafetensorsWriter().addProduced("p", DType.F32, new long[] {4}, s -> s.accept(bad, 0, 4)), "p", DType.F32);
    }

    @Test
    void aFiniteFloat32ThatOverflowsTheStoredDtypeIsRefused() throws IOException {
        // 1e5 is finite in float32 and bfloat16, but beyond float16's largest value (65504)
        new SafetensorsWriter().addLazily("x", DType.BF16, new long[] {1}, new float[] {1e5f}).write(tmp.resolve("ok.safetensors"));
        Files.delete(tmp.resolve("ok.safetensors"));
        refused(new SafetensorsWriter().addLazily("x", DType.F16, new long[] {1}, new float[] {1e5f}), "x", DType.F16);
    }

    @Test
    void rawBytesAreCheckedEvenWhenASourceSplitsAnElementAcrossWrites() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(Float.NaN).flip();
        refused(new SafetensorsWriter().addStream("s", DType.F32, new long[] {3}, 12, ch -> {
            // 3 + 6 + 3 bytes: the NaN's bytes arrive in two writes
            for (int[] r : new int[][] {{0, 3}, {3, 9}, {9, 12}}) {
                SafetensorsWriter.writeFully(ch, b.duplicate().position(r[0]).limit(r[1]));
            }
        }), "s", DType.F32);
        refused(new SafetensorsWriter().addRaw("r", DType.F32, new long[] {3}, b.array()), "r", DType.F32);
        // integer tensors are not floats: any bits are fine
        new SafetensorsWriter().addRaw("i", DType.I32, new long[] {3}, b.array()).write(tmp.resolve("i.safetensors"));
    }

    @Test
    void insideAFolderOutputTheMessageNamesTheFileTheUserWillSee() {
        Path out = tmp.resolve("adapter");
        LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).write(d ->
                new SafetensorsWriter().add("w", DType.F32, new long[] {1}, new float[] {Float.NaN}).writeDirect(d.resolve("m.safetensors"))));
        assertEquals(out.resolve("m.safetensors") + ": tensor 'w' would hold NaN or infinity (stored as F32); nothing was written",
                e.getMessage());
    }
}
