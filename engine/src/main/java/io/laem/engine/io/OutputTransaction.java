package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Outputs that appear together or not at all (e.g. the merged adapter and the full model). Each part
 * is checked ({@link OutputTarget#check}) and written into a hidden sibling of its target; {@link #commit}
 * then, holding the commit lock that an interrupt waits for, moves every existing target aside, every
 * staged part into place, and deletes what was moved aside. When a move fails, the parts already moved
 * are taken out again and the previous state is restored. {@link #close} deletes whatever was not
 * committed. Temporaries are registered with {@link InFlight}, so an interrupt removes them too.
 *
 * <pre>{@code
 * try (OutputTransaction tx = new OutputTransaction()) {
 *     tx.write(adapterTarget, tmp -> ...);
 *     tx.write(modelTarget, tmp -> ...);
 *     tx.commit();
 * }
 * }</pre>
 */
public final class OutputTransaction implements AutoCloseable {
    private record Part(OutputTarget target, Path abs, Path temp) {}

    private final List<Part> parts = new ArrayList<>();
    private boolean committed;

    /**
     * Checks each target (nulls skipped) and that none is, holds or lies inside another: before a
     * long job, so that it is refused before any work.
     */
    public static void check(OutputTarget... targets) {
        List<OutputTarget> given = new ArrayList<>();
        for (OutputTarget t : targets) {
            if (t != null) {
                t.check();
                for (OutputTarget o : given) {
                    Path a = OutputTarget.realPath(t.path().toAbsolutePath().normalize());
                    Path b = OutputTarget.realPath(o.path().toAbsolutePath().normalize());
                    if (a.startsWith(b) || b.startsWith(a)) {
                        throw new OutputTarget.Refused(t.path() + ": overlaps the other output " + o.path(), false);
                    }
                }
                given.add(t);
            }
        }
    }

    /**
     * Checks {@code target}, writes it into a fresh hidden sibling with {@code writer} (a folder gets the
     * marker file afterwards), and keeps it for {@link #commit}. A failure names the target, never the
     * temporary, and leaves nothing behind.
     */
    public void write(OutputTarget target, AtomicFiles.Writer writer) {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        List<OutputTarget> all = new ArrayList<>();
        parts.forEach(p -> all.add(p.target()));
        all.add(target);
        check(all.toArray(OutputTarget[]::new));
        Path abs = target.path().toAbsolutePath().normalize();
        Path temp = null;
        try {
            Path parent = abs.getParent();
            Files.createDirectories(parent);
            temp = AtomicFiles.uniqueSibling(parent, abs, ".tmp");
            InFlight.add(temp);
            if (target.kind() == OutputTarget.Kind.FOLDER) {
                Files.createDirectory(temp);
            } else {
                Files.createFile(temp);
            }
            writer.write(temp);
            if (target.kind() == OutputTarget.Kind.FOLDER) {
                Files.writeString(temp.resolve(OutputTarget.MARKER),
                        "written by laem (LAEM Workbench); laem --force may replace this folder\n");
            }
            parts.add(new Part(target, abs, temp));
            temp = null;
        } catch (IOException | UncheckedIOException e) {
            throw IoErrors.cannotWrite(target.path(), e, temp);
        } catch (LaemException e) {
            throw IoErrors.shown(e, temp, target.path());
        } finally {
            discard(temp);
        }
    }

    /** Moves every part into place, all or none; see the class comment. */
    public void commit() {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        List<Path> aside = new ArrayList<>();
        InFlight.COMMIT.lock();
        try {
            InFlight.checkRunning();
            int moved = 0;
            Part current = null;
            try {
                for (Part p : parts) {
                    current = p;
                    p.target().check(); // the file system may have changed while the parts were written
                    Path old = null;
                    if (Files.exists(p.abs(), LinkOption.NOFOLLOW_LINKS)) {
                        old = AtomicFiles.uniqueSibling(p.abs().getParent(), p.abs(), ".old");
                        InFlight.track(old);
                        Files.move(p.abs(), old);
                    }
                    aside.add(old);
                    move(p.temp(), p.abs());
                    InFlight.remove(p.temp());
                    moved++;
                }
            } catch (IOException | UncheckedIOException | LaemException e) {
                String kept = rollBack(moved, aside);
                if (e instanceof LaemException le && kept.isEmpty()) {
                    throw le;
                }
                String why = e instanceof LaemException ? e.getMessage()
                        : current.target().path() + ": cannot write: " + IoErrors.reason(e, current.temp(), current.target().path());
                throw new LaemException(why + kept, e);
            }
            committed = true;
        } finally {
            InFlight.COMMIT.unlock();
        }
        aside.forEach(OutputTransaction::discard);
    }

    /**
     * Takes the first {@code moved} parts out again (back to their temporaries, deleted on close) and
     * puts back what was moved aside, in reverse order. Returns a note naming anything that could not
     * be put back (kept under its hidden name, never deleted), or "".
     */
    private String rollBack(int moved, List<Path> aside) {
        StringBuilder kept = new StringBuilder();
        for (int i = aside.size() - 1; i >= 0; i--) {
            Part p = parts.get(i);
            Path old = aside.get(i);
            try {
                if (i < moved) {
                    InFlight.track(p.temp());
                    Files.move(p.abs(), p.temp());
                }
                if (old != null) {
                    Files.move(old, p.abs());
                }
            } catch (IOException e) {
                if (old != null && Files.exists(old, LinkOption.NOFOLLOW_LINKS)) {
                    kept.append("; the previous ").append(p.target().path()).append(" is kept as ").append(old);
                }
            } finally {
                if (old != null) {
                    InFlight.remove(old); // restored, or kept: never deleted by an interrupt
                }
            }
        }
        return kept.toString();
    }

    /** Deletes what was staged and not committed. */
    @Override
    public void close() {
        if (!committed) {
            parts.forEach(p -> discard(p.temp()));
        }
        parts.clear();
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void discard(Path temp) {
        if (temp != null) {
            AtomicFiles.deleteRecursively(temp);
            InFlight.remove(temp);
        }
    }
}
