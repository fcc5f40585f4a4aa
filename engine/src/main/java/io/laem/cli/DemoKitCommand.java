package io.laem.cli;

import io.laem.engine.demo.DemoKitBuilder;
import io.laem.engine.demo.DemoKitFiles;
import io.laem.engine.demo.DemoKitSettings;
import io.laem.engine.io.OutputTarget;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem demo-kit build}: trains and writes the demo kit. */
@Command(name = "demo-kit", mixinStandardHelpOptions = true,
        description = "Build the demo kit: a tiny model and four task adapters trained on CPU.")
final class DemoKitCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Train the base model and the four task adapters, evaluate them, and write the kit folder atomically.")
    int build(@Option(names = "--out", paramLabel = "DIR", defaultValue = "resources/demo",
                      description = "Kit folder to write (default: ${DEFAULT-VALUE}).") Path out,
              @Option(names = "--force", description = "Replace --out when it holds an earlier laem output, such as the shipped kit "
                      + "(never a folder laem did not write).") boolean force,
              @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed,
              @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "CPU threads (default: ${DEFAULT-VALUE}); results depend on it.") int threads,
              @Option(names = "--steps", paramLabel = "BASE,ADAPTER", hidden = true, description = "Override the training steps (development).") String steps,
              @Option(names = "--reuse-base", paramLabel = "DIR", hidden = true, description = "Take the trained base from this kit instead of training it (development).") Path reuseBase,
              @Option(names = "--adapter-lr", paramLabel = "LR", hidden = true, description = "Override the adapters' learning rate (development).") Float adapterLr,
              @Option(names = "--base-lr", paramLabel = "LR", hidden = true, description = "Override the base's learning rate (development).") Float baseLr,
              @Option(names = "--retain-batch", paramLabel = "N", hidden = true, description = "Override the retain examples per adapter batch (development; 0: none).") Integer retainBatch,
              @Option(names = "--selectivity", paramLabel = "W", hidden = true, description = "Override the weight of the adapters' selectivity penalty (development; 0: none).") Float selectivity,
              @Option(names = "--smoke", hidden = true, description = "A tiny model and a few steps (tests).") boolean smoke) {
        PrintWriter log = spec.commandLine().getOut();
        DemoKitSettings s = (smoke ? DemoKitSettings.smoke() : DemoKitSettings.standard()).withThreads(threads);
        if (steps != null) {
            String[] p = steps.split(",");
            s = s.withSteps(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        }
        if (baseLr != null) {
            s = s.withBaseLearningRate(baseLr);
        }
        if (adapterLr != null) {
            s = s.withAdapterLearningRate(adapterLr);
        }
        if (retainBatch != null) {
            s = s.withRetainBatch(retainBatch);
        }
        if (selectivity != null) {
            s = s.withSelectivity(selectivity);
        }
        DemoKitBuilder.Result r = new DemoKitBuilder(s, seed, log).reuseBase(reuseBase).build(OutputTarget.folder(out).force(force));
        log.printf("wrote %s in %.0f s%n%n%s", out, r.seconds(), DemoKitFiles.table(r.rows()));
        log.flush();
        return 0;
    }
}
