package io.laem.engine;

/**
 * A problem the user can act on: bad input, an unsupported feature, a missing file. Its message is
 * one line that names the file and the tensor or field; the CLI prints it without a stack trace and
 * the GUI shows it in a dialog.
 */
public class LaemException extends RuntimeException {
    public LaemException(String message) {
        super(message);
    }

    public LaemException(String message, Throwable cause) {
        super(message, cause);
    }
}
