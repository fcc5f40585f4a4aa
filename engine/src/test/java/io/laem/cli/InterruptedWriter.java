package io.laem.cli;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child JVM for {@link InterruptTest}: starts a write, says {@code READY} on stdout when it is in
 * the middle of it, and blocks there until it is killed. {@code optimize ARGS...} runs the command line.
 */
public final class InterruptedWriter {
    private InterruptedWriter() {}

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 1 ? Path.of(args[1]) : null;
        switch (args[0]) {
            case "folder" -> OutputTarget.folder(dir.resolve("out")).force(true).write(tmp -> {
                Files.writeString(tmp.resolve("part.bin"), "half of it");
                Files.createDirectories(tmp.resolve("sub"));
                readyAndBlock();
            });
            case "file" -> OutputTarget.file(dir.resolve("model.gguf")).force(true).write(tmp -> {
                Files.writeString(tmp, "half of it");
                readyAndBlock();
            });
            case "merge" -> {
                // args: merge RECIPE ADAPTER_OUT FULL_MODEL_OUT; blocks while the full model is written (the adapter is staged)
                RecipeMerge.run(RecipeYaml.read(Path.of(args[1])), OutputTarget.folder(Path.of(args[2])).force(true),
                        OutputTarget.folder(Path.of(args[3])).force(true), (done, total, msg) -> {
                            if (msg.startsWith("writing ")) {
                                readyAndBlock();
                            }
                        }, CancellationToken.NONE);
            }
            case "optimize" -> {
                String[] cli = java.util.Arrays.copyOf(args, args.length);
                System.exit(LaemCli.run(cli));
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(0);
    }

    private static void readyAndBlock() {
        System.out.println("READY");
        System.out.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
