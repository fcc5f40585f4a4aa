package io.laem.engine.infer.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Helper threads for {@link CpuMatmul} and {@link FewRowProjection}: a decode step hands out about a hundred jobs of
 * 0.05-2 ms each, and waking a parked thread costs tens of microseconds on a VM, so each worker spins for a while
 * after a job before it parks. A job is chunks that the threads take from a counter; the caller takes them too and
 * then waits for the job to be done in the job's own way ({@link Job#finish}), not for the workers: a worker the
 * scheduler has set aside (another process on its core) joins a job late or not at all, and a job that can redo a
 * late worker's chunk (FewRowProjection) does not wait for it. One caller at a time; a second caller meanwhile runs
 * its jobs on its own thread.
 */
final class SpinningWorkers implements AutoCloseable {
    /** How long an idle worker spins before parking: longer than the gaps between a decode step's jobs. */
    private static final long SPIN_NANOS = 200_000;

    /** Work shared by the caller and the workers. */
    interface Job {
        /** Takes and runs chunks until none is left to take (every thread; a worker may call it late, after the job is done). */
        void help();

        /** On the calling thread after its own {@link #help}: returns when every chunk is done, throwing what a chunk threw. */
        void finish();
    }

    /** After waiting this long for another thread, a waiting thread yields its core between checks (the other may need it). */
    private static final long YIELD_AFTER_NANOS = 50_000;

    /** One pause of a thread waiting since {@code since} (System.nanoTime): a spin hint, or a yield once it has waited long. */
    static void pause(long since) {
        if (System.nanoTime() - since > YIELD_AFTER_NANOS) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    /** Throws a chunk's failure on the caller's thread as it was thrown (unchecked), or as an IllegalStateException. */
    static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private final ReentrantLock inUse = new ReentrantLock();
    private final List<Worker> workers = new ArrayList<>();
    private volatile boolean closed;

    /** Runs {@code job} on this thread and {@code threads - 1} workers; returns when the job is done. */
    void run(Job job, int threads) {
        if (threads <= 1 || closed || !inUse.tryLock()) {
            job.help();
            job.finish();
            return;
        }
        try {
            while (workers.size() < threads - 1) {
                workers.add(new Worker(workers.size()));
            }
            for (int i = 0; i < threads - 1; i++) {
                workers.get(i).hand(job);
            }
            job.help();
            job.finish();
        } finally {
            inUse.unlock();
        }
    }

    /** Workers started so far (they are started on demand, up to the largest thread count asked for). */
    int started() {
        return workers.size();
    }

    /** Stops the workers (each after the job it is running, if any) and waits for them to end. */
    @Override
    public void close() {
        closed = true;
        inUse.lock();
        try {
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
            for (Worker w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            inUse.unlock();
        }
    }

    /** Whether every worker started has ended (after {@link #close}). */
    boolean ended() {
        return workers.stream().noneMatch(Thread::isAlive);
    }

    private final class Worker extends Thread {
        /** The job handed and not yet taken; a newer one replaces it (the caller has finished the older one itself). */
        private final AtomicReference<Job> handed = new AtomicReference<>();
        private volatile boolean parked;

        Worker(int index) {
            super("laem-matmul-" + index);
            setDaemon(true);
            start();
        }

        void hand(Job job) {
            handed.set(job);
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            while (true) {
                Job job = next();
                if (job == null) {
                    return;
                }
                // a job records a chunk's failure for its caller's finish(); nothing may end this thread
                job.help();
            }
        }

        /** The next job handed, spinning a while and then parking; null once closed. */
        private Job next() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (!closed) {
                Job job = handed.getAndSet(null);
                if (job != null) {
                    return job;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    // a hand() between the check above and this flag would not unpark: look once more
                    if (handed.get() == null && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    spinUntil = System.nanoTime() + SPIN_NANOS;
                }
            }
            return null;
        }
    }
}
