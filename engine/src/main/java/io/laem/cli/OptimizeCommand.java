package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem optimize}: placeholder until its issue lands. */
@Command(name = "optimize", mixinStandardHelpOptions = true, description = "Find per-layer merge weights with CMA-ES on every task's validation loss.")
final class OptimizeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem optimize is not implemented yet");
    }
}
