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
 * Output is never half-written: everything is written to a temporary sibling first and moved into
 * place when complete. A failure removes the temporary.
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
            Files.createDirectories(dir);
            temp = Files.createFile(uniqueSibling(dir, target, ".tmp"));
            writer.write(temp);
            move(temp, target);
        } catch (IOException | UncheckedIOException e) {
            throw new LaemException(target + ": cannot write: " + Json.firstLine(e.getMessage()), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    public static void writeString(Path target, String content) {
        writeFile(target, temp -> Files.writeString(temp, content));
    }

    /**
     * Writes a whole directory atomically: the writer fills a temporary sibling directory, which then
     * replaces {@code target} (an existing target directory is removed only after the new one is complete).
     */
    public static void writeDirectory(Path target, Writer writer) {
        Path parent = parentOf(target);
        Path temp = null;
        Path old = null;
        try {
            Files.createDirectories(parent);
            temp = Files.createDirectory(uniqueSibling(parent, target, ".tmp"));
            writer.write(temp);
            if (Files.exists(target)) {
                if (!Files.isDirectory(target)) {
                    throw new LaemException(target + ": exists and is not a directory");
                }
                old = uniqueSibling(parent, target, ".old");
                Files.move(target, old);
            }
            try {
                Files.move(temp, target);
            } catch (IOException e) {
                if (old != null) {
                    Files.move(old, target); // put the previous content back
                    old = null;
                }
                throw e;
            }
            temp = null;
        } catch (IOException | UncheckedIOException e) {
            throw new LaemException(target + ": cannot write: " + Json.firstLine(e.getMessage()), e);
        } finally {
            deleteRecursively(temp);
            deleteRecursively(old);
        }
    }

    /**
     * A fresh hidden sibling name. Not {@code Files.createTemp*}: those create owner-only (0600/0700)
     * entries, and the output should get the user's usual permissions (umask).
     */
    private static Path uniqueSibling(Path dir, Path target, String suffix) {
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
