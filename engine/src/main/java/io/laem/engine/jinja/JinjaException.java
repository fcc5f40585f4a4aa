package io.laem.engine.jinja;

/**
 * A template that cannot be parsed or rendered; {@link #raised()} when the template itself refused the
 * input through {@code raise_exception(message)}.
 */
public final class JinjaException extends RuntimeException {
    private final boolean raised;

    public JinjaException(String message) {
        this(message, false);
    }

    JinjaException(String message, boolean raised) {
        super(message);
        this.raised = raised;
    }

    /** True when the message comes from the template's own {@code raise_exception}. */
    public boolean raised() {
        return raised;
    }
}
