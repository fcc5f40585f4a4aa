package io.laem.engine.progress;

import io.laem.engine.LaemException;

/** A long operation stopped because its {@link CancellationToken} was cancelled. */
public final class CancelledException extends LaemException {
    public CancelledException() {
        super("cancelled");
    }
}
