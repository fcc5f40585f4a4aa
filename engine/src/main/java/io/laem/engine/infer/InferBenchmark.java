package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.bench.MemoryBandwidth;
import io.laem.engine.infer.cpu.FewRowMatmul;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.model.HfModel;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code laem bench infer}: a random float32 model with Qwen2-0.5B's shapes, written to a temp folder
 * and loaded like any model; prefill and decode tokens/s at batch 1 and 8, with 0 and 4 rank-16
 * adapters active in the bank. Decode time per step is set against reading the weights' bytes once
 * at the memory bandwidth measured in the same run (median step time).
 */
public final class InferBenchmark {
    /** One measured configuration. */
    public record Row(int batch, int adapters, String matmul, double prefillTokensPerSecond, double decodeTokensPerSecond,
                      double decodeStepSeconds, double boundRatio, double prefillCpuSeconds, double decodeStepCpuSeconds) {}

    /** Decode matmuls by the Vector API kernel (the default where the module is present) or all by PyTorch. */
    public static final String KERNEL = "kernel";
    public static final String TORCH = "torch";

    public record Report(String model, long parameterBytes, double bandwidth, double boundSeconds, int promptTokens,
                         int decodeSteps, List<Row> rows) {
        /** Decode step time with 4 adapters over without, at each batch size, minus 1. */
        public double adapterOverhead(int batch) {
            return with(batch).decodeStepSeconds() / without(batch).decodeStepSeconds() - 1;
        }

        /** The same from process CPU time (robust when other processes share the cores). */
        public double adapterOverheadCpu(int batch) {
            return with(batch).decodeStepCpuSeconds() / without(batch).decodeStepCpuSeconds() - 1;
        }

        private Row without(int batch) {
            return rows.stream().filter(r -> r.batch() == batch && r.adapters() == 0).findFirst().orElseThrow();
        }

        private Row with(int batch) {
            return rows.stream().filter(r -> r.batch() == batch && r.adapters() > 0 && r.matmul().equals(without(batch).matmul()))
                    .findFirst().orElseThrow();
        }
    }

    private InferBenchmark() {}

    /** PyTorch's intra-op thread count (the engine is started if needed). */
    public static int threads() {
        ai.djl.engine.Engine.getEngine("PyTorch");
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    public static void setThreads(int n) {
        ai.djl.engine.Engine.getEngine("PyTorch");
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
    }

    /** CPU time of this process, all threads (includes PyTorch's worker threads). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    public static Report run(ModelSpec spec, int promptTokens, int decodeSteps, Consumer<String> log) {
        Path dir;
        try {
            dir = Files.createTempDirectory("laem-bench-infer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            log.accept("writing a random " + spec.modelType() + " model (" + spec.numLayers() + " layers, hidden " + spec.hiddenSize()
                    + ", vocab " + spec.vocabSize() + ") to " + dir);
            Path model = dir.resolve("model");
            SyntheticModels.writeModel(model, spec, 1);
            // write the 2 GB back now: the kernel's writeback would otherwise compete for memory bandwidth with the first rows
            syncFiles(model);
            try (HfModel hf = HfModel.open(model); Decoder d = Decoder.load(hf)) {
                log.accept("measuring memory bandwidth");
                double bw = MemoryBandwidth.measure();
                long bytes = d.parameterBytes();
                double bound = bytes / bw;
                log.accept(String.format("weights %.1f MB, bandwidth %.2f GB/s, one read of the weights %.1f ms", bytes / 1e6, bw / 1e9,
                        bound * 1e3));
                List<Row> rows = new ArrayList<>();
                String matmul = FewRowMatmul.available() ? KERNEL : TORCH;
                for (int adapters : new int[] {0, 4}) {
                    if (adapters > 0) {
                        for (int a = 0; a < adapters; a++) {
                            String name = "bench" + a;
                            d.bank().add(name, SyntheticModels.randomModules(hf.config(), AdapterSpec.allLinear(16, 32), 100 + a));
                            d.bank().setAll(name, 0.5);
                        }
                    }
                    for (int batch : new int[] {1, 8}) {
                        rows.add(measure(d, batch, adapters, matmul, promptTokens, decodeSteps, bound, log));
                    }
                }
                if (matmul.equals(KERNEL)) {
                    // the peer in the same run: every matmul by PyTorch (its BLAS), 4 adapters still in the bank
                    System.setProperty(FewRowMatmul.ENABLED_PROPERTY, "false");
                    try {
                        for (int batch : new int[] {1, 8}) {
                            rows.add(measure(d, batch, 4, TORCH, promptTokens, decodeSteps, bound, log));
                        }
                    } finally {
                        System.clearProperty(FewRowMatmul.ENABLED_PROPERTY);
                    }
                }
                return new Report(spec.modelType() + " " + hf.config().parameterCount() / 1_000_000 + "M", bytes, bw, bound,
                        promptTokens, decodeSteps, rows);
            }
        } finally {
            AtomicFiles.deleteRecursively(dir);
        }
    }

    private static void syncFiles(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
                    c.force(true);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Row measure(Decoder d, int batch, int adapters, String matmul, int promptTokens, int steps, double bound,
                               Consumer<String> log) {
        Row r = measureOnce(d, batch, adapters, matmul, promptTokens, steps, bound);
        log.accept(String.format("batch %d, %d adapters, %s matmul: prefill %.1f tok/s, decode %.2f tok/s (%.1f ms/step wall,"
                + " %.1f ms/step CPU, %.2fx the bound)", batch, adapters, matmul, r.prefillTokensPerSecond(), r.decodeTokensPerSecond(),
                r.decodeStepSeconds() * 1e3, r.decodeStepCpuSeconds() * 1e3, r.boundRatio()));
        return r;
    }

    private static Row measureOnce(Decoder d, int batch, int adapters, String matmul, int promptTokens, int steps, double bound) {
        SplittableRandom rnd = new SplittableRandom(batch * 31L + adapters);
        int vocab = d.config().vocabSize();
        long[] prompt = new long[batch * promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = rnd.nextInt(vocab);
        }
        // one untimed warm-up step (allocations, packing the bank)
        try (KvCache warm = d.newCache(); NDScope s = new NDScope()) {
            s.suppressNotUsedWarning();
            d.logits(d.hidden(d.manager().create(new long[batch * 4], new Shape(batch, 4)), null, warm).get(":, -1:, :")).argMax(-1)
                    .toLongArray();
        }
        try (KvCache cache = d.newCache()) {
            long t0 = System.nanoTime();
            long c0 = cpuNanos();
            long[] next;
            try (NDScope s = new NDScope()) {
                s.suppressNotUsedWarning();
                NDArray ids = d.manager().create(prompt, new Shape(batch, promptTokens));
                next = d.logits(d.hidden(ids, null, cache).get(":, -1:, :")).argMax(-1).toLongArray();
            }
            long t1 = System.nanoTime();
            long c1 = cpuNanos();
            // median step time: robust to other processes stealing the CPU for a moment
            double[] times = new double[steps];
            double[] cpu = new double[steps];
            for (int step = 0; step < steps; step++) {
                long a = System.nanoTime();
                long ca = cpuNanos();
                try (NDScope s = new NDScope()) {
                    s.suppressNotUsedWarning();
                    NDArray ids = d.manager().create(next, new Shape(batch, 1));
                    next = d.logits(d.hidden(ids, null, cache)).argMax(-1).toLongArray();
                }
                times[step] = (System.nanoTime() - a) / 1e9;
                cpu[step] = (cpuNanos() - ca) / 1e9;
            }
            java.util.Arrays.sort(times);
            java.util.Arrays.sort(cpu);
            double prefill = (t1 - t0) / 1e9;
            double step = times[steps / 2];
            return new Row(batch, adapters, matmul, batch * promptTokens / prefill, batch / step, step, step / bound, (c1 - c0) / 1e9,
                    cpu[steps / 2]);
        }
    }
}
