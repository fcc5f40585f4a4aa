package io.laem.engine.io;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

/**
 * One output of the tool, a folder or a file, and the one place that decides whether it may be written:
 * <ul>
 *   <li>never (not even with force) a path that is, contains or lies inside one of the inputs given to
 *       {@link #protecting}, compared as real paths (symbolic links resolved); nor an existing symbolic link;</li>
 *   <li>a path that does not exist, or an empty folder: written;</li>
 *   <li>an existing file, or a folder that is not empty: refused unless {@link #force}; with force a
 *       folder is replaced only when it holds the {@link #MARKER} file, i.e. this tool wrote it.</li>
 * </ul>
 * Every folder the tool writes gets the marker. Writing goes through {@link OutputTransaction}: staged in
 * a hidden sibling, moved into place when complete, the old one moved aside and deleted only after that.
 *
 * <pre>{@code
 * OutputTarget out = OutputTarget.folder(dir).force(force).protecting(recipe.inputs());
 * out.check();                               // before the work: refused in one line
 * out.write(tmp -> Files.writeString(tmp.resolve("a.json"), json));
 * }</pre>
 */
public final class OutputTarget {
    /** The file in every folder the tool writes; with force, only folders that hold it are replaced. */
    public static final String MARKER = ".laem-output";

    public enum Kind { FOLDER, FILE }

    /** Why a path may not be written. {@link #needsForce()}: force (or the GUI's confirmation) would allow it. */
    public static final class Refused extends LaemException {
        private final boolean needsForce;

        Refused(String message, boolean needsForce) {
            super(message);
            this.needsForce = needsForce;
        }

        public boolean needsForce() {
            return needsForce;
        }
    }

    private final Path path;
    private final Kind kind;
    private final boolean force;
    private final List<Path> inputs;

    private OutputTarget(Path path, Kind kind, boolean force, List<Path> inputs) {
        this.path = path;
        this.kind = kind;
        this.force = force;
        this.inputs = List.copyOf(inputs);
    }

    /** A folder output (written whole; gets the marker). */
    public static OutputTarget folder(Path path) {
        return new OutputTarget(path, Kind.FOLDER, false, List.of());
    }

    /** A single-file output. */
    public static OutputTarget file(Path path) {
        return new OutputTarget(path, Kind.FILE, false, List.of());
    }

    /** With force, an existing file or marked folder is replaced (inputs never are). */
    public OutputTarget force(boolean force) {
        return new OutputTarget(path, kind, force, inputs);
    }

    /** Adds inputs this output must not be, contain or lie inside (null entries are skipped). */
    public OutputTarget protecting(Collection<Path> more) {
        List<Path> all = new ArrayList<>(inputs);
        more.stream().filter(java.util.Objects::nonNull).forEach(all::add);
        return new OutputTarget(path, kind, force, all);
    }

    public OutputTarget protecting(Path... more) {
        return protecting(java.util.Arrays.asList(more));
    }

    public Path path() {
        return path;
    }

    public Kind kind() {
        return kind;
    }

    public boolean forced() {
        return force;
    }

    public List<Path> inputs() {
        return inputs;
    }

    /** Writes this output alone: staged, checked, moved into place (see {@link OutputTransaction}). */
    public void write(AtomicFiles.Writer writer) {
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(this, writer);
            tx.commit();
        }
    }

    /**
     * Refuses, in one line naming the path, what may not be written; see the class comment. Called
     * before any work and again right before the output is moved into place.
     */
    public void check() {
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(abs)) {
            throw new Refused(path + ": is a symbolic link; give the folder or file itself", false);
        }
        Path real = realPath(abs);
        for (Path input : inputs) {
            Path in = realPath(input.toAbsolutePath().normalize());
            String how = real.equals(in) ? "is the input " : in.startsWith(real) ? "contains the input "
                    : real.startsWith(in) ? "lies inside the input " : null;
            if (how != null) {
                throw new Refused(path + ": " + how + input + "; laem never writes over its inputs", false);
            }
        }
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (kind == Kind.FOLDER) {
            if (!Files.isDirectory(abs)) {
                throw new Refused(path + ": exists and is not a folder", false);
            }
            if (isEmpty(abs)) {
                return;
            }
            if (!force) {
                throw new Refused(path + ": exists and is not empty; give --force to replace a folder laem wrote", true);
            }
            if (!Files.isRegularFile(abs.resolve(MARKER))) {
                throw new Refused(path + ": was not written by laem (no " + MARKER + " file); laem replaces only folders it wrote", false);
            }
        } else {
            if (Files.isDirectory(abs)) {
                throw new Refused(path + ": is a folder, not a file", false);
            }
            if (!force) {
                throw new Refused(path + ": exists; give --force to replace it", true);
            }
        }
    }

    /** The real path of {@code abs}: its deepest existing ancestor with links resolved, then the rest as given. */
    static Path realPath(Path abs) {
        Deque<Path> rest = new ArrayDeque<>();
        Path p = abs;
        while (p != null) {
            try {
                Path r = p.toRealPath();
                for (Path name : rest) {
                    r = r.resolve(name);
                }
                return r.normalize();
            } catch (IOException notThere) {
                if (p.getFileName() == null) {
                    return abs;
                }
                rest.push(p.getFileName());
                p = p.getParent();
            }
        }
        return abs;
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw IoErrors.cannotWrite(dir, e, null);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
