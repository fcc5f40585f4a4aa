package io.laem.cli;

import io.laem.engine.infer.bench.BenchModels;
import io.laem.engine.infer.bench.OptimizeBenchKit;
import io.laem.engine.infer.bench.ScoreBenchmark;
import io.laem.engine.io.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laem bench optimize}: writes the real-size optimizer benchmark (a model of real shapes with random weights,
 * four random rank-16 adapters, four tasks of about 40 tokens per example) and runs {@code laem optimize} on it with
 * its defaults, or the optimize options given after {@code --}.
 */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = "Run laem optimize (its defaults, or the options after --) on a model of real shapes with random weights, four random"
                + " rank-16 adapters and four tasks x N validation examples of about 40 tokens; prints where the time goes.")
final class BenchOptimizeCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "qwen3-0.6b", paramLabel = "NAME",
            description = "qwen3-0.6b or qwen2-0.5b (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "TYPE", description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--validation", defaultValue = "" + OptimizeBenchKit.DEFAULT_VALIDATION, paramLabel = "N", description = "Validation examples per task (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--test", defaultValue = "" + OptimizeBenchKit.DEFAULT_TEST, paramLabel = "N", description = "Test examples per task (default: ${DEFAULT-VALUE}).")
    int test;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the benchmark models are kept (default: $LAEM_BENCH_CACHE or ~/.cache/laem/bench).")
    Path cache;

    @Option(names = "--out", paramLabel = "DIR", description = "laem optimize's output folder, replaced (default: out/ in the kit's folder, <cache>/<model>-<dtype>/optimize/ at the default sizes).")
    Path out;

    @Option(names = "--write-only", description = "Write the recipe and tasks, print the laem optimize command, run nothing.")
    boolean writeOnly;

    @CommandLine.Parameters(paramLabel = "OPTIMIZE-OPTION", arity = "0..*", description = "After --: options for laem optimize.")
    List<String> optimizeOptions = new ArrayList<>();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path c = cache != null ? cache : BenchModels.defaultCache();
        OptimizeBenchKit.Files kit = OptimizeBenchKit.ensure(model, DType.ofUserName(dtype), c, validation, test, line -> {
            err.println("laem bench optimize: " + line);
            err.flush();
        });
        Path dir = out != null ? out : kit.recipe().getParent().resolve("out");
        List<String> args = new ArrayList<>(List.of("optimize", kit.recipe().toString(), "--out", dir.toString(), "--force"));
        args.addAll(optimizeOptions);
        err.printf("laem bench optimize: laem %s%n", String.join(" ", args));
        err.printf("laem bench optimize: load average %.1f on %d cores at start%n", ScoreBenchmark.loadAverage(),
                Runtime.getRuntime().availableProcessors());
        err.flush();
        if (writeOnly) {
            return 0;
        }
        long t0 = System.nanoTime();
        CommandLine cl = LaemCli.commandLine();
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(err);
        int rc = cl.execute(args.toArray(String[]::new));
        err.printf("laem bench optimize: whole command %.1f s wall; load average %.1f at end%n", (System.nanoTime() - t0) / 1e9,
                ScoreBenchmark.loadAverage());
        err.flush();
        return rc;
    }
}
