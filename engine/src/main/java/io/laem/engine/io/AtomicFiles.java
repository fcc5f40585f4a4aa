package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A file is never half-written: it is written to a temporary sibling first and moved into place when
 * complete; a failure or an interrupt ({@link InFlight}) removes the temporary. For files the tool
 * owns (inside an output being staged, preferences, a session the user chose to save); outputs a
 * user names go through {@link OutputTarget}, which decides what may be replaced.
 */
public final class AtomicFiles {
    /** Writes content into the given (temporary) path. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temp) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes one file atomically, replacing an existing one. */
    public static void writeFile(Path target, Writer writer) {
        Path dir = parentOf(target);
        Path temp = null;
        try {
            InFlight.checkRunning();
            Files.createDirectories(dir);
            temp = uniqueSibling(dir, target, ".tmp");
            InFlight.add(temp);
            Files.createFile(temp);
            writer.write(temp);
            move(temp, target);
        } catch (IOException | UncheckedIOException e) {
            throw IoErrors.cannotWrite(target, e, temp);
        } catch (LaemException e) {
            throw IoErrors.shown(e, temp, target);
        } finally {
            deleteQuietly(temp);
            if (temp != null) {
                InFlight.remove(temp);
            }
        }
    }

    public static void writeString(Path target, String content) {
        writeFile(target, temp -> Files.writeString(temp, content));
    }

    /**
     * A fresh hidden sibling name. Not {@code Files.createTemp*}: those create owner-only (0600/0700)
     * entries, and the output should get the user's usual permissions (umask).
     */
    static Path uniqueSibling(Path dir, Path target, String suffix) {
        for (int i = 0; ; i++) {
            Path p = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + "-" + i + suffix);
            if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return p;
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw new IOException(to + " exists", e);
        }
    }

    private static Path parentOf(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.getParent() == null ? abs.getRoot() : abs.getParent();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: a leftover temp file is harmless
            }
        }
    }

    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(AtomicFiles::deleteQuietly);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
