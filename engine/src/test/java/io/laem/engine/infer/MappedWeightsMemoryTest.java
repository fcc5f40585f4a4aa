package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.io.DType;
import io.laem.engine.model.HfModel;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a BF16 model (and running a forward) makes no float32 copy of its weights, neither on the Java heap
 * (bytes this thread allocates) nor in native memory (the process's anonymous resident memory, /proc/self/status
 * RssAnon, less the committed Java heap, so the heap growing or shrinking meanwhile cancels out; the mapped file's
 * pages count as RssFile). The PyTorch path's float32 copy, in native memory, puts no heap array in between either; a
 * float32 copy read onto the heap, counted the same way (heap bytes), shows that the measurement sees a copy when there
 * is one (native memory accounting is not used for that control: the JVM heap committing and uncommitting meanwhile
 * moves RssAnon by gigabytes in a long test run, in either direction).
 */
class MappedWeightsMemoryTest {
    @Test
    void openingABf16ModelMakesNoFloat32Copy(@TempDir Path tmp) throws IOException {
        // 4 layers of hidden 512, vocab 32000 untied: 45 M parameters, 90 MB in BF16, 180 MB as float32
        ModelSpec spec = new ModelSpec("llama", 512, 1536, 4, 8, 4, 64, 32000, false, DType.BF16, 10000.0);
        Path dir = tmp.resolve("model");
        SyntheticModels.writeModel(dir, spec, 1);
        long float32Bytes;
        try (HfModel hf = HfModel.open(dir)) {
            float32Bytes = hf.weights().elementCount() * 4;
            // start PyTorch and let the JIT compile the BF16 kernels first (interpreted, the Vector API allocates every
            // vector on the heap): their memory is not the model's
            try (Decoder warm = Decoder.load(hf)) {
                for (int i = 0; i < 3; i++) {
                    forward(warm);
                }
            }
            System.gc();
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long heap0 = threads.getCurrentThreadAllocatedBytes();
            long anon0 = nativeAnon();
            try (Decoder d = Decoder.load(hf)) {
                forward(d);
                long heap = threads.getCurrentThreadAllocatedBytes() - heap0;
                long anon = nativeAnon() - anon0;
                assertTrue(heap < float32Bytes / 20, "opening and a forward allocated " + heap + " heap bytes for " + float32Bytes
                        + " bytes of float32 weights");
                assertTrue(anon < float32Bytes / 4, "anonymous memory grew by " + anon + " bytes for " + float32Bytes
                        + " bytes of float32 weights");
            }
            // the PyTorch path's float32 copy is widened straight into the arrays' native memory: no heap array either
            long heap1 = threads.getCurrentThreadAllocatedBytes();
            try (Decoder torch = InferBenchmark.torchDecoder(hf)) {
                long heap = threads.getCurrentThreadAllocatedBytes() - heap1;
                assertTrue(heap < float32Bytes / 20, "the PyTorch path's float32 copy allocated " + heap + " heap bytes for "
                        + float32Bytes);
                assertTrue(torch.parameterBytes() >= float32Bytes, "its arrays are float32 copies");
            }
            // a float32 copy on the heap (each tensor read into a float[]): the same allocation count sees it
            long heap2 = threads.getCurrentThreadAllocatedBytes();
            long read = 0;
            for (String name : hf.weights().names()) {
                read += hf.weights().floats(name).length;
            }
            long heap = threads.getCurrentThreadAllocatedBytes() - heap2;
            assertTrue(heap > float32Bytes * 9 / 10, "a heap copy of " + read * 4 + " bytes shows as " + heap + " heap bytes of "
                    + float32Bytes);
        }
    }

    private static void forward(Decoder d) {
        try (NDManager m = d.manager().newSubManager()) {
            d.forward(m.create(new long[] {1, 5, 9, 3}, new Shape(1, 4)), null).toFloatArray();
        }
    }

    /** Resident anonymous memory of this process outside the committed Java heap, in bytes. */
    private static long nativeAnon() throws IOException {
        return rssAnon() - Runtime.getRuntime().totalMemory();
    }

    /** Resident anonymous memory of this process in bytes (Linux). */
    private static long rssAnon() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssAnon:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no RssAnon in /proc/self/status");
    }
}
