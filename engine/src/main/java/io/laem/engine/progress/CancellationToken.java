package io.laem.engine.progress;

/**
 * Lets a caller stop a long operation: the operation polls {@link #check()} between steps (a
 * module, a layer) and stops with {@link CancelledException}, leaving no partial output.
 */
public final class CancellationToken {
    /** A token nobody cancels. */
    public static final CancellationToken NONE = new CancellationToken();

    private volatile boolean cancelled;

    public void cancel() {
        if (this != NONE) {
            cancelled = true;
        }
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Throws {@link CancelledException} when cancelled. */
    public void check() {
        if (cancelled) {
            throw new CancelledException();
        }
    }
}
