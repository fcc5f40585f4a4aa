package io.laem.engine;

/**
 * A problem the user can act on: bad input, an unsupported feature, a missing file. Its message is
 * one line that names the file and the tensor or field; the CLI prints it without a stack trace and
 * the GUI shows it in a dialog.
 */
public class LaemException extends RuntimeException {
    public LaemException(String message) {
        super(oneLine(message));
    }

    public LaemException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** Line breaks and other control characters (from a file's own text quoted in a message) shown escaped. */
    static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(Character::isISOControl)) {
            return message;
        }
        StringBuilder sb = new StringBuilder(message.length() + 8);
        message.chars().forEach(c -> {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append(' ');
                default -> {
                    if (Character.isISOControl(c)) {
                        sb.append(String.format("\\u%04x", c));
                    } else {
                        sb.append((char) c);
                    }
                }
            }
        });
        return sb.toString();
    }
}
