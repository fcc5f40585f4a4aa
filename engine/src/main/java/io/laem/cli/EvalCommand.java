package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem eval}: placeholder until its issue lands. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Exact match and mean NLL per task of a base model with adapters or a recipe.")
final class EvalCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem eval is not implemented yet");
    }
}
