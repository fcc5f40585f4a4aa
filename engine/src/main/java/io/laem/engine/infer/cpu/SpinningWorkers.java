package io.laem.engine.infer.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Helper threads for {@link CpuMatmul}: a decode step hands out a few hundred matmuls of 0.1-2 ms
 * each, and waking a parked thread costs tens of microseconds on a VM, so each worker spins for a
 * while after its task before it parks. One caller at a time; a second caller meanwhile runs its
 * tasks on its own thread.
 */
final class SpinningWorkers {
    /** How long an idle worker spins before parking: longer than the gaps between a step's matmuls. */
    private static final long SPIN_NANOS = 200_000;

    private final ReentrantLock inUse = new ReentrantLock();
    private final List<Worker> workers = new ArrayList<>();

    /** Runs every task, {@code tasks[0]} on the calling thread, and returns when all are done. */
    void runAll(Runnable[] tasks) {
        if (tasks.length == 1 || !inUse.tryLock()) {
            for (Runnable t : tasks) {
                t.run();
            }
            return;
        }
        try {
            while (workers.size() < tasks.length - 1) {
                workers.add(new Worker(workers.size()));
            }
            for (int i = 1; i < tasks.length; i++) {
                workers.get(i - 1).hand(tasks[i]);
            }
            Throwable failure = null;
            try {
                tasks[0].run();
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            for (int i = 1; i < tasks.length; i++) {
                Throwable t = workers.get(i - 1).await();
                if (failure == null) {
                    failure = t;
                }
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
        } finally {
            inUse.unlock();
        }
    }

    private static final class Worker extends Thread {
        private volatile Runnable task;
        private volatile boolean busy;
        private volatile Throwable failure;

        Worker(int index) {
            super("laem-matmul-" + index);
            setDaemon(true);
            start();
        }

        void hand(Runnable t) {
            failure = null;
            busy = true;
            task = t;
            LockSupport.unpark(this);
        }

        /** Waits (spinning: the task is short) until the handed task is done; its exception or null. */
        Throwable await() {
            while (busy) {
                Thread.onSpinWait();
            }
            return failure;
        }

        @Override
        public void run() {
            while (true) {
                Runnable t = next();
                try {
                    t.run();
                } catch (Throwable e) {
                    failure = e;
                }
                task = null;
                busy = false;
            }
        }

        private Runnable next() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Runnable t = task;
                if (t != null) {
                    return t;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    spinUntil = System.nanoTime() + SPIN_NANOS;
                }
            }
        }
    }
}
