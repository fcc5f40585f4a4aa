package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs written together are all in place or none: the previous state survives any failure. */
class OutputTransactionTest {
    @TempDir
    Path tmp;

    private List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path earlier(String name, String text) {
        Path out = tmp.resolve(name);
        OutputTarget.folder(out).write(d -> Files.writeString(d.resolve("f"), text));
        return out;
    }

    @Test
    void bothPartsAppearTogetherAndReplaceTheEarlierOnes() throws IOException {
        Path a = earlier("adapter", "old a");
        Path m = earlier("model", "old m");
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(OutputTarget.folder(a).force(true), d -> Files.writeString(d.resolve("f"), "new a"));
            tx.write(OutputTarget.folder(m).force(true), d -> Files.writeString(d.resolve("f"), "new m"));
            assertEquals("old a", Files.readString(a.resolve("f")), "nothing moves before the commit");
            tx.commit();
        }
        assertEquals("new a", Files.readString(a.resolve("f")));
        assertEquals("new m", Files.readString(m.resolve("f")));
        assertEquals(List.of("adapter", "model"), names(tmp));
    }

    @Test
    void aFailingSecondPartLeavesNeither() throws IOException {
        Path a = tmp.resolve("adapter");
        Path m = tmp.resolve("model");
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(OutputTarget.folder(a), d -> Files.writeString(d.resolve("f"), "a"));
            assertThrows(LaemException.class, () -> tx.write(OutputTarget.folder(m), d -> {
                throw new IOException("disk gone");
            }));
        }
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void aFailedMoveOfTheSecondPartRestoresTheFirst() throws IOException {
        Path a = earlier("adapter", "old a");
        Path m = earlier("model", "old m");
        Path[] staged = new Path[1];
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(OutputTarget.folder(a).force(true), d -> Files.writeString(d.resolve("f"), "new a"));
            tx.write(OutputTarget.folder(m).force(true), d -> {
                Files.writeString(d.resolve("f"), "new m");
                staged[0] = d;
            });
            AtomicFiles.deleteRecursively(staged[0]); // the second move will find nothing to move
            LaemException e = assertThrows(LaemException.class, tx::commit);
            assertTrue(e.getMessage().startsWith(m + ": cannot write: "), e.getMessage());
            assertTrue(!e.getMessage().contains(staged[0].getFileName().toString()), e.getMessage());
        }
        assertEquals("old a", Files.readString(a.resolve("f")));
        assertEquals("old m", Files.readString(m.resolve("f")));
        assertEquals(List.of("adapter", "model"), names(tmp));
        assertEquals(java.util.Set.of(), InFlight.temps().stream().filter(p -> p.startsWith(tmp)).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void outputsThatOverlapAreRefusedBeforeAnyWork() throws IOException {
        Path a = tmp.resolve("out");
        OutputTarget.Refused e = assertThrows(OutputTarget.Refused.class,
                () -> OutputTransaction.check(OutputTarget.folder(a), OutputTarget.folder(a.resolve("model"))));
        assertEquals(a.resolve("model") + ": overlaps the other output " + a, e.getMessage());
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void closingWithoutCommitDeletesTheStagedParts() throws IOException {
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(OutputTarget.folder(tmp.resolve("a")), d -> Files.writeString(d.resolve("f"), "a"));
            assertEquals(1, names(tmp).size());
            assertTrue(names(tmp).getFirst().startsWith(".a."), names(tmp).toString());
        }
        assertEquals(List.of(), names(tmp));
    }
}
