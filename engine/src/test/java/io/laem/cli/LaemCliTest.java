package io.laem.cli;

import static io.laem.engine.fixtures.CliRun.laem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.CliRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's contract: --help everywhere, exit 0 ok, 1 failure, 2 bad usage. */
class LaemCliTest {
    /** Every command path, e.g. [inspect], [bench, merge]. */
    private static List<List<String>> commandPaths(CommandLine cl, List<String> prefix) {
        List<List<String>> out = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().aliases().length > 0 && !e.getKey().equals(e.getValue().getCommandName())) {
                continue; // an alias
            }
            List<String> path = new ArrayList<>(prefix);
            path.add(e.getKey());
            out.add(path);
            out.addAll(commandPaths(e.getValue(), path));
        }
        return out;
    }

    @Test
    void everyCommandHasHelp() {
        List<List<String>> paths = commandPaths(LaemCli.commandLine(), List.of());
        assertTrue(paths.contains(List.of("inspect")), paths.toString());
        for (List<String> p : paths) {
            if (p.getLast().equals("help")) {
                continue;
            }
            List<String> args = new ArrayList<>(p);
            args.add("--help");
            CliRun r = laem(args.toArray(String[]::new));
            assertEquals(0, r.code(), p + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: laem " + String.join(" ", p)), p + ": " + r.out());
        }
    }

    @Test
    void rootHelpVersionAndBadUsage() {
        CliRun help = laem("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("inspect"), help.out());
        assertEquals(0, laem("--version").code());
        CliRun bad = laem("--no-such-option");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("Unknown option: '--no-such-option'"), bad.err());
        assertEquals(2, laem("inspect", "a", "b").code()); // one PATH only
    }
}
