package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem generate}: placeholder until its issue lands. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from the base model with adapters, streamed to stdout.")
final class GenerateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem generate is not implemented yet");
    }
}
