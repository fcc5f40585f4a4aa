package io.laem.engine.infer.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The helper threads: every chunk of a job runs once, a worker's failure reaches the caller, and close ends the threads. */
class SpinningWorkersTest {
    /** Chunks taken from a counter, each counted where it ran; finish waits for all, as CpuMatmul's splits do. */
    private static final class Counted implements SpinningWorkers.Job {
        final AtomicIntegerArray runs;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final int failAt;
        volatile Throwable failure;

        Counted(int chunks, int failAt) {
            runs = new AtomicIntegerArray(chunks);
            this.failAt = failAt;
        }

        @Override
        public void help() {
            for (int c = next.getAndIncrement(); c < runs.length(); c = next.getAndIncrement()) {
                try {
                    runs.incrementAndGet(c);
                    if (c == failAt) {
                        throw new IllegalStateException("chunk " + c);
                    }
                    // some work, so that the workers take chunks too
                    double s = 0;
                    for (int i = 0; i < 20_000; i++) {
                        s += Math.sqrt(i + c);
                    }
                    if (s < 0) {
                        throw new AssertionError();
                    }
                } catch (RuntimeException e) {
                    failure = e;
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        @Override
        public void finish() {
            long since = System.nanoTime();
            while (done.get() < runs.length()) {
                SpinningWorkers.pause(since);
            }
            SpinningWorkers.rethrow(failure);
        }
    }

    @Test
    void runsEveryChunkOnceAndEndsItsThreadsOnClose() {
        SpinningWorkers workers = new SpinningWorkers();
        for (int threads : new int[] {1, 2, 4, 3}) {
            for (int i = 0; i < 50; i++) {
                Counted job = new Counted(1 + i % 17, -1);
                workers.run(job, threads);
                for (int c = 0; c < job.runs.length(); c++) {
                    assertEquals(1, job.runs.get(c), "threads " + threads + " job " + i + " chunk " + c);
                }
            }
        }
        assertEquals(3, workers.started());
        assertFalse(workers.ended());
        workers.close();
        assertTrue(workers.ended(), "every worker ends on close");
        // after close a job still runs, on the calling thread
        Counted job = new Counted(5, -1);
        workers.run(job, 4);
        assertEquals(5, job.done.get());
        assertEquals(3, workers.started());
    }

    @Test
    void aChunksFailureReachesTheCaller() {
        try (SpinningWorkers workers = new SpinningWorkers()) {
            for (int failAt = 0; failAt < 8; failAt++) {
                Counted job = new Counted(8, failAt);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> workers.run(job, 2));
                assertEquals("chunk " + failAt, e.getMessage());
                assertEquals(8, job.done.get(), "the other chunks still ran");
            }
            // the workers survive a failed job
            Counted job = new Counted(8, -1);
            workers.run(job, 2);
            assertEquals(8, job.done.get());
        }
    }

    @Test
    void rethrowKeepsUncheckedFailuresAndWrapsOthers() {
        IllegalArgumentException e = new IllegalArgumentException("x");
        assertSame(e, assertThrows(IllegalArgumentException.class, () -> SpinningWorkers.rethrow(e)));
        Exception checked = new Exception("y");
        assertSame(checked, assertThrows(IllegalStateException.class, () -> SpinningWorkers.rethrow(checked)).getCause());
        SpinningWorkers.rethrow(null);
    }
}
