package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem bench merge}: placeholder until its issue lands. */
@Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge four random rank-16 adapters on the module shapes of Qwen2-0.5B.")
final class BenchMergeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem bench merge is not implemented yet");
    }
}
