package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link OutputTarget} lets the tool write, replace or never touch. */
class OutputTargetTest {
    @TempDir
    Path tmp;

    private List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static AtomicFiles.Writer one(String name, String text) {
        return d -> Files.writeString(d.resolve(name), text);
    }

    /** A folder as an earlier laem run leaves it: content and the marker. */
    private Path earlierOutput(String name) {
        Path out = tmp.resolve(name);
        OutputTarget.folder(out).write(one("old.txt", "old"));
        return out;
    }

    @Test
    void aNewFolderIsWrittenWithTheMarkerAndNothingElseBesideIt() throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        Path out = tmp.resolve("out");
        OutputTarget.folder(out).write(one("a.json", "{}"));
        assertEquals(List.of(".laem-output", "a.json"), names(out));
        assertEquals(List.of("notes.txt", "out"), names(tmp));
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
    }

    @Test
    void anEmptyFolderIsWrittenWithoutForce() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("empty"));
        OutputTarget.folder(out).write(one("a.json", "{}"));
        assertEquals(List.of(".laem-output", "a.json"), names(out));
    }

    @Test
    void aNonEmptyFolderIsRefusedWithoutForceAndKept() throws IOException {
        Path out = earlierOutput("out");
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class, () -> OutputTarget.folder(out).write(one("new.txt", "new")));
        assertEquals(out + ": exists and is not empty; give --force to replace a folder laem wrote", e.getMessage());
        assertTrue(e.needsForce());
        assertEquals(List.of(".laem-output", "old.txt"), names(out));
        assertEquals(List.of("out"), names(tmp));
    }

    @Test
    void forceReplacesAFolderLaemWroteAndLeavesNoSiblings() throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        Path out = earlierOutput("out");
        OutputTarget.folder(out).force(true).write(one("new.txt", "new"));
        assertEquals(List.of(".laem-output", "new.txt"), names(out));
        assertEquals(List.of("notes.txt", "out"), names(tmp));
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
    }

    @Test
    void forceRefusesAFolderLaemDidNotWrite() throws IOException {
        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(mine.resolve("thesis.tex"), "years of work");
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class,
                () -> OutputTarget.folder(mine).force(true).write(one("a.json", "{}")));
        assertEquals(mine + ": was not written by laem (no .laem-output file); laem replaces only folders it wrote", e.getMessage());
        assertFalse(e.needsForce());
        assertEquals(List.of("thesis.tex"), names(mine));
    }

    @Test
    void forceNeverWritesOverAnInputNorAFolderHoldingOneNorInsideOne() throws IOException {
        Path base = Files.createDirectories(tmp.resolve("models/base"));
        Files.writeString(base.resolve("model.safetensors"), "weights");
        Files.writeString(base.resolve(OutputTarget.MARKER), "even a folder laem once wrote");
        Path recipe = Files.writeString(tmp.resolve("models/recipe.yaml"), "base_model: base");
        for (Path out : List.of(base, tmp.resolve("models"), base.resolve("sub"), tmp.resolve("models/recipe.yaml"))) {
            OutputTarget t = OutputTarget.folder(out).force(true).protecting(base, recipe);
            OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class, () -> t.write(one("a.json", "{}")), out.toString());
            assertTrue(e.getMessage().startsWith(out + ": "), e.getMessage());
            assertTrue(e.getMessage().endsWith("; laem never writes over its inputs"), e.getMessage());
            assertFalse(e.needsForce());
        }
        assertEquals(List.of(".laem-output", "model.safetensors"), names(base));
        assertEquals("base_model: base", Files.readString(recipe));
    }

    @Test
    void inputsAreComparedAsRealPaths() throws IOException {
        Path base = Files.createDirectories(tmp.resolve("base"));
        Files.writeString(base.resolve("model.safetensors"), "weights");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), base);
        // the output named through a link to the input's parent, the input through another
        Path viaLink = Files.createSymbolicLink(tmp.resolve("here"), tmp).resolve("base");
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class,
                () -> OutputTarget.folder(viaLink).force(true).protecting(link).write(one("a", "")));
        assertEquals(viaLink + ": is the input " + link + "; laem never writes over its inputs", e.getMessage());
        assertThrows(OutputTarget.Refused.class, () -> OutputTarget.folder(link).force(true).write(one("a", "")));
        assertEquals(List.of("model.safetensors"), names(base));
    }

    @Test
    void aFileWhereAFolderShouldGoIsRefusedEvenWithForce() throws IOException {
        Path f = Files.writeString(tmp.resolve("out"), "mine");
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class, () -> OutputTarget.folder(f).force(true).write(one("a", "")));
        assertEquals(f + ": exists and is not a folder", e.getMessage());
        assertEquals("mine", Files.readString(f));
    }

    @Test
    void aFileOutputNeedsForceToReplaceAndIsNeverAFolderOrAnInput() throws IOException {
        Path f = tmp.resolve("model.gguf");
        OutputTarget.file(f).write(t -> Files.writeString(t, "one"));
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class, () -> OutputTarget.file(f).write(t -> Files.writeString(t, "two")));
        assertEquals(f + ": exists; give --force to replace it", e.getMessage());
        assertTrue(e.needsForce());
        OutputTarget.file(f).force(true).write(t -> Files.writeString(t, "two"));
        assertEquals("two", Files.readString(f));
        assertThrows(OutputTarget.Refused.class, () -> OutputTarget.file(f).force(true).protecting(f).write(t -> Files.writeString(t, "3")));
        assertThrows(OutputTarget.Refused.class, () -> OutputTarget.file(tmp).force(true).write(t -> Files.writeString(t, "3")));
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("model.gguf"), names(tmp));
    }

    @Test
    void aFailingWriterKeepsTheEarlierOutputAndLeavesNoTemporary() throws IOException {
        Path out = earlierOutput("out");
        LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).force(true).write(d -> {
            Files.writeString(d.resolve("half"), "x");
            throw new IOException("boom");
        }));
        assertEquals(out + ": cannot write: boom", e.getMessage());
        assertEquals(List.of(".laem-output", "old.txt"), names(out));
        assertEquals(List.of("out"), names(tmp));
    }

    @Test
    void fileSystemFailuresNameTheUsersPathAndTheCauseNeverTheTemporary() throws IOException {
        Path out = tmp.resolve("adapter");
        record Case(String reason, String expected) {}
        for (Case c : List.of(new Case("No space left on device", "disk full (no space left on device)"),
                new Case("Read-only file system", "read-only file system"),
                new Case("Disk quota exceeded", "disk full (no space left on device)"))) {
            // what the JDK throws for ENOSPC / EROFS / EDQUOT on a file inside the staged folder
            LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).write(d -> {
                throw new FileSystemException(d.resolve("adapter_model.safetensors").toString(), null, c.reason());
            }));
            assertEquals(out + ": cannot write: " + c.expected(), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).write(d -> {
            throw new IOException("cannot write " + d.resolve("x") + ": broken pipe");
        }));
        assertEquals(out + ": cannot write: cannot write " + out.resolve("x") + ": broken pipe", e.getMessage());
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void aParentThatIsAFileIsNamedAsSuch() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path out = file.resolve("out");
        LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).write(one("a", "")));
        assertTrue(e.getMessage().startsWith(out + ": cannot write: a parent is not a folder"), e.getMessage());
        assertEquals("x", Files.readString(file));
    }

    /**
     * Permission denied names the output. As root (as these tests may run) a read-only folder does not
     * stop a write, so there the folder is one of sysfs, which refuses every new entry (EPERM).
     */
    @Test
    void permissionDeniedNamesTheOutputAndTheCause() throws IOException {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path parent;
        String expected;
        if (root) {
            parent = Path.of("/sys");
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(parent.resolve("kernel")), "no sysfs here");
            expected = "operation not permitted";
        } else {
            parent = Files.createDirectory(tmp.resolve("read-only"));
            assertTrue(parent.toFile().setWritable(false, false));
            expected = "permission denied";
        }
        Path out = parent.resolve("laem-test-out");
        try {
            LaemException e = assertThrows(LaemException.class, () -> OutputTarget.folder(out).write(one("a", "")));
            assertTrue(e.getMessage().startsWith(out + ": cannot write: " + expected), e.getMessage());
            assertFalse(e.getMessage().contains(".laem-test-out."), e.getMessage());
            assertFalse(Files.exists(out));
        } finally {
            parent.toFile().setWritable(true, false);
        }
    }
}
