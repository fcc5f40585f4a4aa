package io.laem.app.core;

/** What a background job sees of its task: progress reports and the cancel flag. */
public interface Progress {
    /** Reports {@code done} of {@code total} units with a short message for the status bar. */
    void update(double done, double total, String message);

    /** True once the user asked to stop; a job checks it between steps and returns early. */
    boolean isCancelled();

    /** A progress that reports nowhere and is never cancelled (tests, headless use). */
    Progress NONE = new Progress() {
        @Override
        public void update(double done, double total, String message) {}

        @Override
        public boolean isCancelled() {
            return false;
        }
    };
}
