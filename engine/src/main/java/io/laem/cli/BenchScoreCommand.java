package io.laem.cli;

import io.laem.engine.infer.InferBenchmark;
import io.laem.engine.infer.bench.BenchModels;
import io.laem.engine.infer.bench.ScoreBenchmark;
import io.laem.engine.io.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem bench score}: real-size scoring, prefill and decode with four adapters, against llama.cpp in the same run. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Teacher-forced scoring, prefill and decode tokens/s, open time, time to first token and peak RSS of a model of real"
                + " shapes with four rank-16 adapters, and the same from llama.cpp (node-llama-cpp) on the same weights.")
final class BenchScoreCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "qwen3-0.6b", paramLabel = "NAME",
            description = "qwen3-0.6b, qwen2-0.5b or llama-8b (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "TYPE", description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--examples", defaultValue = "16", paramLabel = "N", description = "Examples scored (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--prompt-tokens", defaultValue = "96", paramLabel = "N", description = "Prompt tokens (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--completion-tokens", defaultValue = "32", paramLabel = "N", description = "Completion tokens (default: ${DEFAULT-VALUE}).")
    int completionTokens;

    @Option(names = "--decode-tokens", defaultValue = "16", paramLabel = "N", description = "Decode steps timed (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--rounds", defaultValue = "2", paramLabel = "N", description = "Rounds per figure, the best kept (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "N", description = "Threads for both engines (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-peer", description = "Skip llama.cpp.")
    boolean noPeer;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the benchmark models are kept (default: $LAEM_BENCH_CACHE or ~/.cache/laem/bench).")
    Path cache;

    @Option(names = "--peer-dir", paramLabel = "DIR",
            description = "Folder with node_modules/node-llama-cpp (npm i -E node-llama-cpp@3.21.1) (default: <cache>/llama-peer).")
    Path peerDir;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), true);
    }

    /** Runs the benchmark, with scoring ({@code bench score}) or without it ({@code bench infer --model}), and prints its table. */
    int run(PrintWriter out, boolean score) {
        InferBenchmark.setThreads(threads);
        Path c = cache != null ? cache : BenchModels.defaultCache();
        ScoreBenchmark.Settings s = new ScoreBenchmark.Settings(model, DType.ofUserName(dtype), examples, promptTokens, completionTokens,
                decodeTokens, rounds, score, !noPeer, c, peerDir != null ? peerDir : c.resolve("llama-peer"), threads);
        out.printf("threads %d, load average at start %.1f on %d cores%n", threads, ScoreBenchmark.loadAverage(), Runtime.getRuntime().availableProcessors());
        ScoreBenchmark.Report r = ScoreBenchmark.run(s, line -> {
            out.println(line);
            out.flush();
        });
        out.println();
        out.printf("%s %s: weights %.1f MB; %d examples of %d + %d tokens; 4 rank-%d adapters at %.2f; %d threads%n", model, dtype,
                r.weightBytes() / 1e6, examples, promptTokens, completionTokens, BenchModels.RANK, ScoreBenchmark.SCALE, threads);
        out.println("| figure | laem | llama.cpp | laem / llama.cpp |");
        out.println("|---|---|---|---|");
        for (String[] row : ScoreBenchmark.comparison(r)) {
            out.printf("| %s | %s | %s | %s |%n", (Object[]) row);
        }
        List<String[]> parts = ScoreBenchmark.breakdown(r);
        if (parts.size() > 1) {
            out.println();
            out.println("where laem's time goes (wall seconds of the CPU forward's parts, share of the forward):");
            for (int i = 0; i < parts.size(); i++) {
                out.println("| " + String.join(" | ", parts.get(i)) + " |");
                if (i == 0) {
                    out.println("|---".repeat(parts.get(i).length) + "|");
                }
            }
        }
        if (r.peerNote() != null) {
            out.println(r.peerNote());
        }
        out.printf("memory bandwidth (same run): copy %.1f GB/s, read with %d threads %.1f GB/s; one read of the weights %.1f ms;"
                + " load average %.1f at start, %.1f at end%n", r.copyBandwidth() / 1e9, threads, r.readBandwidth() / 1e9,
                r.weightBytes() / r.readBandwidth() * 1e3, r.loadStart(), r.loadEnd());
        out.flush();
        return 0;
    }

}
