package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem score}: placeholder until its issue lands. */
@Command(name = "score", mixinStandardHelpOptions = true, description = "Score JSONL prompt/completion pairs: NLL per example, mean NLL, perplexity.")
final class ScoreCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem score is not implemented yet");
    }
}
