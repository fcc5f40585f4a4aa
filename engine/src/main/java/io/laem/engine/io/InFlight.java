package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The temporary files and folders being written, and what an interrupt (Ctrl-C, SIGTERM: a JVM
 * shutdown) must do about them. One JVM shutdown hook, in order:
 * <ol>
 *   <li>runs the registered interrupt actions (e.g. {@code laem optimize} stops its search and writes
 *       the best weights so far), each bounded by its own wait;</li>
 *   <li>refuses every new staging and commit from then on;</li>
 *   <li>waits for a commit in progress (a few renames) to finish, so outputs are all there or not at all;</li>
 *   <li>deletes every temporary still registered, a few passes apart, since the writing thread runs on
 *       until the JVM halts.</li>
 * </ol>
 */
public final class InFlight {
    private static final Set<Path> TEMPS = ConcurrentHashMap.newKeySet();
    private static final List<Runnable> ON_INTERRUPT = new CopyOnWriteArrayList<>();
    /** Held while outputs are moved into place. */
    static final ReentrantLock COMMIT = new ReentrantLock();
    private static volatile boolean shuttingDown;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(InFlight::shutdown, "laem-inflight-cleanup"));
        } catch (IllegalStateException alreadyShuttingDown) {
            shuttingDown = true;
        }
    }

    private InFlight() {}

    /** An interrupt action's registration; closing it unregisters the action. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Registers a temporary to delete on interrupt. */
    public static void add(Path temp) {
        checkRunning();
        TEMPS.add(temp);
    }

    /** Registers without the shutdown check: for what a commit (which an interrupt waits for) moves aside. */
    static void track(Path temp) {
        TEMPS.add(temp);
    }

    /** The temporary is gone or is now an output: nothing to delete. */
    public static void remove(Path temp) {
        TEMPS.remove(temp);
    }

    /** The temporaries registered now (tests). */
    static Set<Path> temps() {
        return Set.copyOf(TEMPS);
    }

    /**
     * Registers an action run first on interrupt; it may finish the work in progress (with its own
     * time limit). Closing the returned handle unregisters it.
     */
    public static Registration onInterrupt(Runnable action) {
        ON_INTERRUPT.add(action);
        return () -> ON_INTERRUPT.remove(action);
    }

    /** Refuses to start writing once the JVM shuts down (what was in flight is being deleted). */
    public static void checkRunning() {
        if (shuttingDown) {
            throw new LaemException("interrupted: not writing any more");
        }
    }

    private static void shutdown() {
        for (Runnable r : ON_INTERRUPT) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // best effort: the temporaries must still go
            }
        }
        shuttingDown = true;
        boolean locked = false;
        try {
            locked = COMMIT.tryLock(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // the writing thread runs on until the JVM halts and may recreate entries: a few passes apart
            List<Path> snapshot = new java.util.ArrayList<>(TEMPS);
            if (!locked) {
                // a commit is still moving: an earlier output moved aside may be put back yet, keep it
                snapshot.removeIf(p -> p.getFileName().toString().endsWith(".old"));
            }
            for (int pass = 0; pass < 4; pass++) {
                if (pass > 0) {
                    Thread.sleep(25);
                }
                snapshot.forEach(AtomicFiles::deleteRecursively);
            }
            snapshot.forEach(TEMPS::remove);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (locked) {
                COMMIT.unlock();
            }
        }
    }
}
