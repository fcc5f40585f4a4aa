package io.laem.app.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.concurrent.Task;
import javafx.concurrent.Worker;

/**
 * Runs long work as {@link Task}s on worker threads so that the FX thread never waits, and exposes
 * the progress of the newest running task for the status bar. Failures go to the error handler
 * with the engine's one-line message; cancellation is not an error. Closing cancels everything.
 *
 * <p>All methods except the jobs themselves are called on the FX thread.
 */
public final class BackgroundTasks implements AutoCloseable {
    private final ExecutorService pool;
    private final List<Task<?>> running = new ArrayList<>();
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(this, "busy");
    private final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper(this, "message", "Ready");
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private Consumer<String> errorHandler = m -> {};

    public BackgroundTasks() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "laem-work-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Where failure messages go (the window shows a dialog). */
    public void setErrorHandler(Consumer<String> handler) {
        this.errorHandler = handler;
    }

    /** Starts {@code job}; {@code onSuccess} runs on the FX thread with its result. */
    public <T> Task<T> run(String title, Job<T> job, Consumer<? super T> onSuccess) {
        return run(title, job, onSuccess, () -> {});
    }

    /** As {@link #run(String, Job, Consumer)}; {@code onEnd} runs on the FX thread however it ended. */
    public <T> Task<T> run(String title, Job<T> job, Consumer<? super T> onSuccess, Runnable onEnd) {
        JobTask<T> task = new JobTask<>(title, job);
        task.setOnSucceeded(e -> {
            finished(task);
            onSuccess.accept(task.getValue());
            onEnd.run();
        });
        task.setOnFailed(e -> {
            finished(task);
            Throwable ex = task.getException();
            if (!Errors.isCancellation(ex)) {
                errorHandler.accept(title + " failed: " + Errors.message(ex));
            }
            onEnd.run();
        });
        task.setOnCancelled(e -> {
            finished(task);
            onEnd.run();
        });
        running.add(task);
        track();
        pool.execute(task);
        return task;
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty messageProperty() {
        return message.getReadOnlyProperty();
    }

    /** Progress of the newest task, -1 while indeterminate. */
    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    public boolean isBusy() {
        return busy.get();
    }

    /** Cancels every running task (Run > Stop). */
    public void cancelAll() {
        for (Task<?> t : List.copyOf(running)) {
            t.cancel(true);
        }
    }

    private void finished(Task<?> task) {
        running.remove(task);
        track();
    }

    /** Binds the status properties to the newest running task. */
    private void track() {
        message.unbind();
        progress.unbind();
        busy.set(!running.isEmpty());
        if (running.isEmpty()) {
            message.set("Ready");
            progress.set(0);
        } else {
            Task<?> newest = running.get(running.size() - 1);
            message.bind(newest.messageProperty());
            progress.bind(newest.progressProperty());
        }
    }

    /**
     * Cancels all work (window closing) without waiting for it: the FX thread never blocks. Jobs stop
     * at their next check; the model they use is freed once they let go of it (the live merge's use).
     */
    @Override
    public void close() {
        cancelAll();
        pool.shutdownNow();
    }

    /** True when the task is still scheduled or running. */
    public static boolean isActive(Worker<?> w) {
        return w != null && (w.getState() == Worker.State.RUNNING || w.getState() == Worker.State.SCHEDULED
                || w.getState() == Worker.State.READY);
    }

    /** A task that hands its job a {@link Progress} view of itself. */
    private static final class JobTask<T> extends Task<T> implements Progress {
        private final String title;
        private final Job<T> job;

        JobTask(String title, Job<T> job) {
            this.title = title;
            this.job = job;
        }

        @Override
        protected T call() throws Exception {
            updateMessage(title + "...");
            return job.run(this);
        }

        @Override
        public void update(double done, double total, String msg) {
            updateProgress(done, total);
            updateMessage(msg == null ? title + "..." : title + ": " + msg);
        }
    }

    /** Runs {@code r} on the FX thread (now if already there). */
    public static void fx(Runnable r) {
        if (Platform.isFxApplicationThread()) {
            r.run();
        } else {
            Platform.runLater(r);
        }
    }
}
