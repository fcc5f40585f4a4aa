package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns a failed file-system call while writing an output into one line that names the user's path
 * (never a hidden temporary) and the cause a user can act on: permission denied, read-only file system,
 * disk full, a parent that is not a folder.
 */
public final class IoErrors {
    private IoErrors() {}

    /** {@code target: cannot write: REASON}, with any temporary path in the cause replaced by {@code target}. */
    public static LaemException cannotWrite(Path target, Throwable e, Path temp) {
        return new LaemException(target + ": cannot write: " + reason(e, temp, target), e);
    }

    /** The cause in a few words; temporaries named in it are shown as the user's path. */
    public static String reason(Throwable e, Path temp, Path target) {
        Throwable t = e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
        String all = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        String file = t instanceof FileSystemException f && f.getFile() != null ? shown(f.getFile(), temp, target) : null;
        if (all.contains("no space left") || all.contains("disk quota exceeded")) {
            return "disk full (no space left on device)";
        }
        if (all.contains("read-only file system")) {
            return "read-only file system";
        }
        if (t instanceof AccessDeniedException || all.contains("permission denied")) {
            return "permission denied" + in(file, target);
        }
        if (all.contains("operation not permitted")) {
            return "operation not permitted" + in(file, target);
        }
        if (t instanceof NotDirectoryException || all.contains("not a directory") || t instanceof FileAlreadyExistsException) {
            return "a parent is not a folder" + in(file, target);
        }
        if (t instanceof NoSuchFileException) {
            return "no such file or folder" + in(file, target);
        }
        String msg = Json.firstLine(t.getMessage());
        return msg.isEmpty() ? t.getClass().getSimpleName() : replaceTemp(msg, temp, target);
    }

    /** A LaemException raised while an output was staged, its message showing the user's path for the temporary. */
    public static LaemException shown(LaemException e, Path temp, Path target) {
        String m = e.getMessage();
        if (temp == null || m == null || !m.contains(temp.toString())) {
            return e;
        }
        return new LaemException(replaceTemp(m, temp, target), e);
    }

    /** Whether an I/O failure's cause is the file system, not the data: what retrying elsewhere may fix. */
    static boolean isIo(Throwable e) {
        return e instanceof IOException || e instanceof UncheckedIOException;
    }

    private static String in(String file, Path target) {
        return file == null || file.equals(target.toString()) ? "" : " (" + file + ")";
    }

    private static String shown(String file, Path temp, Path target) {
        return replaceTemp(file, temp, target);
    }

    private static String replaceTemp(String s, Path temp, Path target) {
        return temp == null ? s : s.replace(temp.toString(), target.toString());
    }
}
