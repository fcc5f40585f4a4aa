package io.laem.cli;

import io.laem.engine.infer.InferBenchmark;
import io.laem.engine.synth.ModelSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem bench infer}: prefill/decode speed of a Qwen2-0.5B-shaped model against memory bandwidth. */
@Command(name = "infer", mixinStandardHelpOptions = true, description = "Prefill and decode tokens/s of a random model with the shapes of Qwen2-0.5B.")
final class BenchInferCommand implements Callable<Integer> {
    @Option(names = "--prompt-tokens", defaultValue = "32", paramLabel = "N", description = "Prompt length per sequence (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--decode-tokens", defaultValue = "8", paramLabel = "N", description = "Decode steps timed (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--rounds", defaultValue = "3", paramLabel = "N",
            description = "Interleaved rounds over every configuration; medians over all of them (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--layers", paramLabel = "N", description = "Fewer layers for a quick run (default: all 24).")
    Integer layers;

    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default: PyTorch's choice).")
    Integer threads;

    @Option(names = "--model", paramLabel = "NAME",
            description = "A model of real shapes instead (qwen3-0.6b, qwen2-0.5b, llama-8b): the figures of `bench score` without scoring.")
    String model;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "TYPE", description = "With --model: bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--no-peer", description = "With --model: skip llama.cpp.")
    boolean noPeer;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (model != null) {
            BenchScoreCommand real = new BenchScoreCommand();
            real.model = model;
            real.dtype = dtype;
            real.noPeer = noPeer;
            real.examples = 16;
            real.promptTokens = promptTokens;
            real.completionTokens = 32;
            real.decodeTokens = decodeTokens;
            real.rounds = rounds;
            real.threads = threads != null ? threads : 2;
            return real.run(out, false);
        }
        ModelSpec s = ModelSpec.qwen2HalfB();
        if (layers != null) {
            s = s.withLayers(layers);
        }
        if (threads != null) {
            InferBenchmark.setThreads(threads);
        }
        out.println("PyTorch intra-op threads: " + InferBenchmark.threads() + ", load average at start: "
                + String.format("%.1f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
                + " on " + Runtime.getRuntime().availableProcessors() + " cores");
        InferBenchmark.Report r = InferBenchmark.run(s, promptTokens, decodeTokens, rounds, line -> {
            out.println(line);
            out.flush();
        });
        out.println();
        out.printf("| batch | adapters | decode matmul | prefill tok/s | decode tok/s | decode ms/step (wall) | wall / bound | decode ms/step (CPU) | CPU / bound | wall / read bound |%n");
        out.printf("|---|---|---|---|---|---|---|---|---|---|%n");
        for (InferBenchmark.Row row : r.rows()) {
            out.printf("| %d | %d | %s | %.1f | %.2f | %.1f | %.2fx | %.1f | %.2fx | %.2fx |%n", row.batch(), row.adapters(), row.matmul(),
                    row.prefillTokensPerSecond(),
                    row.decodeTokensPerSecond(), row.decodeStepSeconds() * 1e3, row.boundRatio(), row.decodeStepCpuSeconds() * 1e3,
                    row.decodeStepCpuSeconds() / r.boundSeconds(), row.decodeStepSeconds() / r.readBoundSeconds());
        }
        out.printf("%nweights %.1f MB, bandwidth %.2f GB/s (copy, same run, better of two probes), bound %.1f ms/step; 4 adapters add %.1f%% / %.1f%% wall,"
                + " %.1f%% / %.1f%% CPU (batch 1 / batch 8)%n", r.parameterBytes() / 1e6, r.bandwidth() / 1e9, r.boundSeconds() * 1e3,
                100 * r.adapterOverhead(1), 100 * r.adapterOverhead(8), 100 * r.adapterOverheadCpu(1), 100 * r.adapterOverheadCpu(8));
        out.printf("read bound (context, not the target's): the weights read once at %.2f GB/s, a read-only probe with %d threads: %.1f ms%n",
                r.readBandwidth() / 1e9, r.readThreads(), r.readBoundSeconds() * 1e3);
        out.printf("load average at end: %.1f%n", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.flush();
        return 0;
    }
}
