package io.laem.cli;

import io.laem.engine.merge.MergeBenchmark;
import io.laem.engine.synth.ModelSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem bench merge}: merge speed on the module shapes of Qwen2-0.5B against the memory bandwidth. */
@Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge four random rank-16 adapters on the module shapes of Qwen2-0.5B.")
final class BenchMergeCommand implements Callable<Integer> {
    @Option(names = "--adapters", defaultValue = "4", description = "Number of adapters (default ${DEFAULT-VALUE}).")
    int adapters;

    @Option(names = "--rank", defaultValue = "16", description = "Rank of each adapter and of the low-rank outputs (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--density", defaultValue = "0.2", description = "TIES density (default ${DEFAULT-VALUE}).")
    double density;

    @Option(names = "--cases", defaultValue = "exact,copy,write,rank,ties", split = ",",
            description = "Cases to run (exact, copy, write and rank: warm-up runs, then the best of 5, 5, 5 and 3 runs): exact, copy (the adapters' files copied into one new file: the floor of the exact case), write (only writing as many bytes), rank, ties (method ties), plan (LAEM plan with TIES redundancy); default ${DEFAULT-VALUE}.")
    java.util.Set<String> cases;

    @Option(names = "--warmup", defaultValue = "1", paramLabel = "N", description = "Untimed runs before the timed runs of exact, copy, write and rank (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", paramLabel = "N", description = "ND4J threads (default 1, see LowRank.setThreads).")
    Integer threads;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!(density > 0 && density <= 1)) {
            throw new io.laem.engine.LaemException("--density must be in (0, 1], got " + density);
        }
        if (threads != null) {
            io.laem.engine.linalg.LowRank.setThreads(threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        out.printf("memory bandwidth is measured first; cores: %d%n", Runtime.getRuntime().availableProcessors());
        out.println("| case | time (s) | CPU (s) | peak RSS (MB) | bytes moved (MB) | at bandwidth (s) | time / bandwidth time | min retained energy |");
        out.println("|---|---|---|---|---|---|---|---|");
        out.flush();
        MergeBenchmark.Result r = MergeBenchmark.run(ModelSpec.qwen2HalfB(), adapters, rank, density, cases, warmup, s -> {
            err.println("bench merge: " + s);
            err.flush();
        }, c -> {
            out.printf("| %s | %.3f | %.3f | %.0f | %.1f | %.4f | %.1fx | %s |%n", c.name(), c.seconds(), c.cpuSeconds(), c.peakRssBytes() / 1e6,
                    c.bytesMoved() / 1e6, c.bandwidthSeconds(), c.ratio(),
                    Double.isNaN(c.minRetainedEnergy()) ? "-" : String.format("%.4f", c.minRetainedEnergy()));
            out.flush();
        });
        out.println();
        out.printf("shape: %s, %d layers x 7 modules = %d modules; %d adapters of rank %d (%.1f MB of factors)%n", r.shape(), r.layers(),
                r.modules(), r.adapters(), r.rank(), r.adapterBytes() / 1e6);
        out.printf("memory bandwidth (same run): %.2f GB/s%n", r.bandwidth() / 1e9);
        out.flush();
        return 0;
    }
}
