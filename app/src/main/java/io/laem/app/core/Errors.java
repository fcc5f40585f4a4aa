package io.laem.app.core;

import io.laem.engine.LaemException;
import java.util.concurrent.CancellationException;

/** Turns a failure into the one line a dialog shows. */
public final class Errors {
    private Errors() {}

    /** The engine's own message for a LaemException (also when wrapped); else the type and first line. */
    public static String message(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof LaemException) {
                return firstLine(c.getMessage());
            }
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + firstLine(m));
    }

    public static boolean isCancellation(Throwable t) {
        return t instanceof CancellationException || t instanceof InterruptedException;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
