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
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
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
            temp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
            writer.write(temp);
            if (Files.exists(target)) {
                if (!Files.isDirectory(target)) {
                    throw new LaemException(target + ": exists and is not a directory");
                }
                old = Files.createTempDirectory(parent, "." + target.getFileName() + ".old.");
                Files.delete(old);
                Files.move(target, old);
            }
            Files.move(temp, target);
            temp = null;
        } catch (IOException | UncheckedIOException e) {
            throw new LaemException(target + ": cannot write: " + Json.firstLine(e.getMessage()), e);
        } finally {
            deleteRecursively(temp);
            deleteRecursively(old);
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
