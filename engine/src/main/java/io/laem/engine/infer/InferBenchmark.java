package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.bench.MemoryBandwidth;
import io.laem.engine.infer.cpu.CpuMatmul;
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
 * adapters active in the bank, by the decode kernel and (the peer) by PyTorch's matmul. Decode time
 * per step (median over interleaved rounds) is set against reading the weights' bytes once at the
 * memory bandwidth measured in the same run (the better of a probe before and one after the rounds).
 */
public final class InferBenchmark {
    /** One measured configuration. */
    public record Row(int batch, int adapters, String matmul, double prefillTokensPerSecond, double decodeTokensPerSecond,
                      double decodeStepSeconds, double boundRatio, double prefillCpuSeconds, double decodeStepCpuSeconds) {}

    /** Decode matmuls by the Vector API kernel (the default where the module is present) or all by PyTorch. */
    public static final String KERNEL = "kernel";
    public static final String TORCH = "torch";

    /**
     * {@code bandwidth}: the copy probe the bound is set from; {@code readBandwidth}: a read-only probe with
     * {@code readThreads} threads (the decode's), for context: what streaming the weights can reach at most.
     */
    public record Report(String model, long parameterBytes, double bandwidth, double boundSeconds, int promptTokens,
                         int decodeSteps, List<Row> rows, double readBandwidth, int readThreads) {
        /** One read of the weights at the read probe's rate. */
        public double readBoundSeconds() {
            return parameterBytes / readBandwidth;
        }

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
        Djl.pytorch();
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    public static void setThreads(int n) {
        Djl.pytorch();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
    }

    /** CPU time of this process, all threads (includes PyTorch's worker threads). */
    public static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    public static Report run(ModelSpec spec, int promptTokens, int decodeSteps, Consumer<String> log) {
        return run(spec, promptTokens, decodeSteps, 3, log);
    }

    /**
     * Every configuration measured in {@code rounds} interleaved rounds (0 and 4 adapters, kernel and
     * PyTorch matmul alternate, so drift in the machine's speed reaches them alike); medians over all rounds.
     */
    public static Report run(ModelSpec spec, int promptTokens, int decodeSteps, int rounds, Consumer<String> log) {
        Path dir;
        try {
            dir = Files.createTempDirectory("laem-bench-infer");
            io.laem.engine.io.InFlight.add(dir); // Ctrl-C removes the benchmark's model too
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
            try (HfModel hf = HfModel.open(model); Decoder d = Decoder.load(hf); Decoder torch = CpuMatmul.available() ? torchDecoder(hf) : d) {
                log.accept("measuring memory bandwidth");
                double before = MemoryBandwidth.measure();
                long bytes = d.parameterBytes();
                String matmul = CpuMatmul.available() ? KERNEL : TORCH;
                List<Config> configs = new ArrayList<>();
                for (int adapters : new int[] {0, ADAPTERS}) {
                    for (int batch : new int[] {1, 8}) {
                        configs.add(new Config(batch, adapters, matmul));
                    }
                }
                if (matmul.equals(KERNEL)) {
                    // the peer in the same run: every matmul by PyTorch (its BLAS), the adapters active
                    for (int batch : new int[] {1, 8}) {
                        configs.add(new Config(batch, ADAPTERS, TORCH));
                    }
                }
                for (int a = 0; a < ADAPTERS; a++) {
                    d.bank().add("bench" + a, SyntheticModels.randomModules(hf.config(), AdapterSpec.allLinear(16, 32), 100 + a));
                    if (torch != d) {
                        torch.bank().add("bench" + a, SyntheticModels.randomModules(hf.config(), AdapterSpec.allLinear(16, 32), 100 + a));
                    }
                }
                List<Samples> samples = new ArrayList<>();
                for (Config c : configs) {
                    samples.add(new Samples());
                }
                {
                    for (int round = 0; round < rounds; round++) {
                        log.accept("round " + (round + 1) + " of " + rounds);
                        for (int i = 0; i < configs.size(); i++) {
                            Config c = configs.get(i);
                            Decoder on = c.matmul().equals(TORCH) ? torch : d;
                            for (int a = 0; a < ADAPTERS; a++) {
                                // no adapters = every coefficient zero: the bank then does no work at all
                                on.bank().setAll("bench" + a, c.adapters() > 0 ? 0.5 : 0);
                            }
                            measure(on, c.batch(), c.adapters() * 31L + round, promptTokens, decodeSteps, samples.get(i));
                        }
                    }
                }
                double after = MemoryBandwidth.measure();
                // the better probe: the smaller bound, so the ratios are the conservative ones
                double bw = Math.max(before, after);
                double bound = bytes / bw;
                int readThreads = threads();
                double read = MemoryBandwidth.measureRead(512, readThreads, 5);
                log.accept(String.format("weights %.1f MB, bandwidth %.2f GB/s before and %.2f GB/s after the rounds, one read of the"
                        + " weights at the better %.1f ms; reading alone with %d threads: %.2f GB/s", bytes / 1e6, before / 1e9, after / 1e9,
                        bound * 1e3, readThreads, read / 1e9));
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < configs.size(); i++) {
                    Config c = configs.get(i);
                    Samples x = samples.get(i);
                    double step = median(x.stepWall);
                    Row r = new Row(c.batch(), c.adapters(), c.matmul(), c.batch() * promptTokens / median(x.prefillWall), c.batch() / step, step,
                            step / bound, median(x.prefillCpu), median(x.stepCpu));
                    log.accept(String.format("batch %d, %d adapters, %s matmul: prefill %.1f tok/s, decode %.2f tok/s (%.1f ms/step wall,"
                            + " %.1f ms/step CPU, %.2fx the bound)", c.batch(), c.adapters(), c.matmul(), r.prefillTokensPerSecond(),
                            r.decodeTokensPerSecond(), step * 1e3, r.decodeStepCpuSeconds() * 1e3, r.boundRatio()));
                    rows.add(r);
                }
                return new Report(spec.modelType() + " " + hf.config().parameterCount() / 1_000_000 + "M", bytes, bw, bound,
                        promptTokens, decodeSteps, rows, read, readThreads);
            }
        } finally {
            AtomicFiles.deleteRecursively(dir);
            io.laem.engine.io.InFlight.remove(dir);
        }
    }

    private static final int ADAPTERS = 4;

    /** The same weights as float32 arrays for PyTorch (the CPU kernels turned off while loading). */
    static Decoder torchDecoder(HfModel hf) {
        System.setProperty(CpuMatmul.ENABLED_PROPERTY, "false");
        try {
            return Decoder.load(hf);
        } finally {
            System.clearProperty(CpuMatmul.ENABLED_PROPERTY);
        }
    }

    private record Config(int batch, int adapters, String matmul) {}

    /** Seconds: one prefill per round, every timed decode step of every round. */
    private static final class Samples {
        final List<Double> prefillWall = new ArrayList<>();
        final List<Double> prefillCpu = new ArrayList<>();
        final List<Double> stepWall = new ArrayList<>();
        final List<Double> stepCpu = new ArrayList<>();
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
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

    /**
     * Seconds of one prefill of {@code prompt} [batch, tokens] through a fresh cache and of {@code steps} greedy decode
     * steps after it: prefill wall, prefill CPU (this process), then each step's wall and CPU.
     */
    public static double[] prefillThenDecode(Decoder d, long[] prompt, int batch, int steps) {
        return prefillThenDecode(d, prompt, batch, steps, () -> {});
    }

    /** The same, running {@code afterPrefill} between the prefill and the first decode step (a benchmark starts its counters there). */
    public static double[] prefillThenDecode(Decoder d, long[] prompt, int batch, int steps, Runnable afterPrefill) {
        double[] t = new double[2 + 2 * steps];
        try (KvCache cache = d.newCache()) {
            long t0 = System.nanoTime();
            long c0 = cpuNanos();
            long[] next;
            try (NDScope s = new NDScope()) {
                s.suppressNotUsedWarning();
                NDArray ids = d.manager().create(prompt, new Shape(batch, prompt.length / batch));
                next = d.greedyNext(d.hidden(ids, null, cache).get(":, -1:, :"));
            }
            t[0] = (System.nanoTime() - t0) / 1e9;
            t[1] = (cpuNanos() - c0) / 1e9;
            afterPrefill.run();
            for (int step = 0; step < steps; step++) {
                long a = System.nanoTime();
                long ca = cpuNanos();
                try (NDScope s = new NDScope()) {
                    s.suppressNotUsedWarning();
                    NDArray ids = d.manager().create(next, new Shape(batch, 1));
                    next = d.greedyNext(d.hidden(ids, null, cache));
                }
                t[2 + 2 * step] = (System.nanoTime() - a) / 1e9;
                t[3 + 2 * step] = (cpuNanos() - ca) / 1e9;
            }
        }
        return t;
    }

    /** One prefill of {@code promptTokens} per sequence, then {@code steps} timed greedy decode steps, into {@code out}. */
    private static void measure(Decoder d, int batch, long seed, int promptTokens, int steps, Samples out) {
        SplittableRandom rnd = new SplittableRandom(batch * 31L + seed);
        int vocab = d.config().vocabSize();
        long[] prompt = new long[batch * promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = rnd.nextInt(vocab);
        }
        // one untimed warm-up step (allocations, packing the bank)
        try (KvCache warm = d.newCache(); NDScope s = new NDScope()) {
            s.suppressNotUsedWarning();
            d.greedyNext(d.hidden(d.manager().create(new long[batch * 4], new Shape(batch, 4)), null, warm).get(":, -1:, :"));
        }
        double[] t = prefillThenDecode(d, prompt, batch, steps);
        out.prefillWall.add(t[0]);
        out.prefillCpu.add(t[1]);
        for (int step = 0; step < steps; step++) {
            out.stepWall.add(t[2 + 2 * step]);
            out.stepCpu.add(t[3 + 2 * step]);
        }
    }
}
