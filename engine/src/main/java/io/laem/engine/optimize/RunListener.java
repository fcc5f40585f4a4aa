package io.laem.engine.optimize;

/**
 * Receives a run's events, on the thread that runs it (a GUI hands them to its own thread).
 * Listeners must be quick and must not throw.
 */
public interface RunListener {
    /** Before the first evaluation. */
    default void started(RunStarted event) {}

    /** After every evaluated candidate. */
    default void candidate(CandidateEvent event) {}

    /** Once, at the end: budget spent, search converged, or cancelled. */
    default void finished(RunResult result) {}
}
