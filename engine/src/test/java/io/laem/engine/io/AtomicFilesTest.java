package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.toList();
        }
    }

    @Test
    void failingFileWriterLeavesNoOutputAndNoTemp() throws IOException {
        Path target = tmp.resolve("out.safetensors");
        LaemException e = assertThrows(LaemException.class, () -> AtomicFiles.writeFile(target, t -> {
            Files.writeString(t, "partial");
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().startsWith(target + ": cannot write: disk full"), e.getMessage());
        assertEquals(List.of(), entries());
    }

    @Test
    void failingFileWriterKeepsThePreviousFile() throws IOException {
        Path target = tmp.resolve("a.json");
        AtomicFiles.writeString(target, "old");
        assertThrows(RuntimeException.class, () -> AtomicFiles.writeFile(target, t -> {
            Files.writeString(t, "new");
            throw new IllegalStateException("bug");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(target), entries());
    }

    @Test
    void replacesAndUsesNormalPermissions() throws IOException {
        Path target = tmp.resolve("a.json");
        AtomicFiles.writeString(target, "one");
        AtomicFiles.writeString(target, "two");
        assertEquals("two", Files.readString(target));
        // not the owner-only 0600 of Files.createTempFile: others may read what the user writes
        var perms = Files.getPosixFilePermissions(target);
        Path plain = Files.writeString(tmp.resolve("plain"), "x");
        assertEquals(Files.getPosixFilePermissions(plain).contains(PosixFilePermission.OTHERS_READ),
                perms.contains(PosixFilePermission.OTHERS_READ));
    }
}
