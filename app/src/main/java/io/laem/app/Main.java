package io.laem.app;

import io.laem.cli.LaemCli;
import javafx.application.Application;

/**
 * Entry point of {@code ./laem}: no arguments opens the workbench; anything else runs the command
 * line. Not a subclass of Application, so JavaFX can be loaded from the class path.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length == 0 || (args.length == 2 && args[0].equals("--session"))) {
            Application.launch(WorkbenchApp.class, args);
        } else {
            System.exit(LaemCli.run(args));
        }
    }
}
