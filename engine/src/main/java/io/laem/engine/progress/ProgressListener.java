package io.laem.engine.progress;

/**
 * Receives progress of a long operation: {@code done} of {@code total} steps and what is being
 * done. Called on the worker thread; a GUI forwards it to its own thread.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (done, total, message) -> {};

    void progress(long done, long total, String message);
}
