package io.laem.engine.optimize;

/** Unwinds an evaluation once its run was cancelled; the run catches it and reports a cancelled result. */
public final class RunCancelledException extends RuntimeException {
    public RunCancelledException() {
        super("cancelled", null, false, false);
    }
}
