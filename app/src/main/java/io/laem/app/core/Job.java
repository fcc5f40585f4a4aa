package io.laem.app.core;

/** A piece of long work run off the FX thread by {@link BackgroundTasks}. */
@FunctionalInterface
public interface Job<T> {
    T run(Progress progress) throws Exception;
}
