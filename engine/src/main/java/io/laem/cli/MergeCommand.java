package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem merge}: placeholder until its issue lands. */
@Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge adapters by a recipe into one PEFT adapter (and optionally a full model).")
final class MergeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem merge is not implemented yet");
    }
}
