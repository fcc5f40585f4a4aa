package io.laem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code laem bench}: benchmarks whose figures go into docs/benchmarks.md. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: merge and inference speed against the memory bandwidth measured in the same run.",
        subcommands = {BenchMergeCommand.class, BenchInferCommand.class, BenchScoreCommand.class, BenchOptimizeCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
