package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem analyze}: placeholder until its issue lands. */
@Command(name = "analyze", mixinStandardHelpOptions = true, description = "Per layer x module x adapter: delta norms, effective rank, redundancy, sign conflicts, cosine similarity.")
final class AnalyzeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem analyze is not implemented yet");
    }
}
