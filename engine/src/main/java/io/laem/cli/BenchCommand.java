package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem bench}: placeholder until its issue lands. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: merge and inference speed against measured memory bandwidth.")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem bench is not implemented yet");
    }
}
