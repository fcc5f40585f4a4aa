package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem bench infer}: placeholder until its issue lands. */
@Command(name = "infer", mixinStandardHelpOptions = true, description = "Prefill and decode tokens/s of a random model with the shapes of Qwen2-0.5B.")
final class BenchInferCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem bench infer is not implemented yet");
    }
}
