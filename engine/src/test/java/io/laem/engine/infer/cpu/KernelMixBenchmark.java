package io.laem.engine.infer.cpu;

import io.laem.engine.io.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: a micro-benchmark of {@code x W^T} as a forward calls it, for docs/inference.md. Forty [4864 x 896]
 * matrices (Qwen2-0.5B's MLP shape, more than the caches hold) in a memory-mapped temp file; before timing, the panel
 * path (64 rows) and a native LoRA-like factor run, so the kernels see the mix of segments a forward gives them.
 * Prints the best of 8 passes in thread CPU time. Run from engine/ after {@code ./mvnw -o -q test-compile}:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes
 * io.laem.engine.infer.cpu.KernelMixBenchmark ROWS F32|BF16|F16}.
 */
public final class KernelMixBenchmark {
    private KernelMixBenchmark() {}

    public static void main(String[] args) throws Exception {
        int out = 4864;
        int in = 896;
        int rows = Integer.parseInt(args[0]);
        DType dt = DType.valueOf(args[1]);
        long bytes = (long) out * in * dt.bytes();
        int copies = 40;
        Path f = Files.createTempFile("laem-kernel-mix", ".bin");
        f.toFile().deleteOnExit();
        byte[] b = new byte[(int) bytes];
        new java.util.Random(1).nextBytes(b);
        for (int i = dt.bytes() - 1; i < b.length; i += dt.bytes()) {
            b[i] = 0x3c; // top byte of each element: a small positive exponent, so the values are finite and moderate
        }
        try (var o = Files.newOutputStream(f)) {
            for (int c = 0; c < copies; c++) {
                o.write(b);
            }
        }
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(f)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes * copies, arena);
            WeightView[] v = new WeightView[copies];
            for (int c = 0; c < copies; c++) {
                v[c] = new WeightView(all.asSlice(c * bytes, bytes), dt, out, in);
            }
            for (int rep = 0; rep < 3; rep++) {
                CpuMatmul.multiply(v[rep], new float[64 * in], 64, 1);
                CpuMatmul.multiply(WeightView.f32(arena.allocate(16L * in * Float.BYTES), 16, in), x, rows, 1);
            }
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 8; rep++) {
                long c0 = threads.getCurrentThreadCpuTime();
                for (int c = 0; c < copies; c++) {
                    CpuMatmul.multiply(v[c], x, rows, 1);
                }
                best = Math.min(best, (threads.getCurrentThreadCpuTime() - c0) / 1e6 / copies);
            }
            System.out.printf("%s, %d rows: %.2f ms CPU per [%d x %d] (%.1f GFLOPS)%n", dt, rows, best, out, in, 2.0 * out * in * rows / best / 1e6);
        }
    }
}
