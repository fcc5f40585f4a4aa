package io.laem.engine.optimize;

/**
 * Asks long work to stop. Objectives call {@link #check()} between batches so that a run stops
 * within one batch of {@code cancel()}, from any thread.
 */
public final class CancelToken {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Throws {@link RunCancelledException} once cancelled. */
    public void check() {
        if (cancelled) {
            throw new RunCancelledException();
        }
    }
}
