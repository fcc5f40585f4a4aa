package io.laem.cli;

import io.laem.engine.LaemException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code laem} command line: picocli commands over the engine, no logic of their own.
 * Exit codes: 0 ok, 1 failure (one-line message, no stack trace), 2 bad usage.
 */
@Command(name = "laem", mixinStandardHelpOptions = true, version = "LAEM Workbench 0.1.0",
        description = "Merge LoRA adapters layer-wise (LAEM), inspect them, and run the merged model.",
        subcommands = {InspectCommand.class, AnalyzeCommand.class, MergeCommand.class, GgufCommand.class, GenerateCommand.class,
                ScoreCommand.class, EvalCommand.class, OptimizeCommand.class, DemoKitCommand.class, BenchCommand.class, RouteCommand.class,
                CommandLine.HelpCommand.class})
public final class LaemCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with the project's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LaemCli());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            Throwable t = ex;
            PrintWriter err = cmd.getErr();
            if (t instanceof LaemException) {
                err.println("laem: " + t.getMessage());
            } else if (t instanceof OutOfMemoryError) {
                err.println("laem: out of memory: " + t.getMessage() + " (raise -Xmx with LAEM_JAVA_OPTS)");
            } else {
                err.println("laem: internal error: " + t);
                if (System.getenv("LAEM_DEBUG") != null) {
                    t.printStackTrace(err);
                } else {
                    err.println("laem: set LAEM_DEBUG=1 for the stack trace");
                }
            }
            err.flush();
            return 1;
        });
        return cl;
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
