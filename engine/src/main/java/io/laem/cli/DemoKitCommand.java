package io.laem.cli;

import io.laem.engine.LaemException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code laem demo-kit}: placeholder until its issue lands. */
@Command(name = "demo-kit", mixinStandardHelpOptions = true, description = "Build the demo kit: a tiny model and four task adapters trained on CPU.")
final class DemoKitCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LaemException("laem demo-kit is not implemented yet");
    }
}
