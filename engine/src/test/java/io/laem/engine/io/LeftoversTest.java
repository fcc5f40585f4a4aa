package io.laem.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tidying after a killed run: only this tool's siblings of dead processes are touched, an earlier output is put back. */
class LeftoversTest {
    @TempDir
    Path tmp;

    private final List<String> notices = new ArrayList<>();

    @BeforeEach
    void collectNotices() {
        Leftovers.setNotices(notices::add);
    }

    @AfterEach
    void restoreNotices() {
        Leftovers.setNotices(m -> System.err.println("laem: " + m));
    }

    /** A process that has ended: its pid is not alive. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    /** The sibling name a process {@code pid} of this host would have made. */
    private static String siblingOf(Path target, long pid, String suffix) {
        String mine = Leftovers.sibling(target.getParent(), target, suffix).getFileName().toString();
        return mine.replaceFirst("-" + ProcessHandle.current().pid() + "-", "-" + pid + "-");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDeadRunsTemporariesGoTheUsersFilesAndLiveRunsStay() throws Exception {
        Path out = tmp.resolve("out");
        long dead = deadPid();
        Path deadTmp = Files.createDirectory(tmp.resolve(siblingOf(out, dead, ".tmp")));
        Files.writeString(deadTmp.resolve("part.bin"), "half");
        Path liveTmp = Files.createFile(tmp.resolve(siblingOf(out, 1, ".tmp"))); // pid 1 is alive
        Path userLookAlike = Files.createFile(tmp.resolve(".out.mine.tmp"));
        Path otherOutput = Files.createFile(tmp.resolve(siblingOf(tmp.resolve("other"), dead, ".tmp")));

        OutputTarget.folder(out).check();

        assertTrue(Files.notExists(deadTmp));
        assertTrue(Files.exists(liveTmp) && Files.exists(userLookAlike) && Files.exists(otherOutput), names().toString());
        assertEquals(List.of(out + ": removed 1 unfinished temporary left by an interrupted run"), notices);
    }

    @Test
    void anEarlierOutputMovedAsideIsPutBackWhenTheOutputIsMissing() throws Exception {
        Path out = tmp.resolve("model.gguf");
        Path old = Files.writeString(tmp.resolve(siblingOf(out, deadPid(), ".old")), "earlier");

        OutputTarget.file(out).force(true).check();

        assertEquals(List.of("model.gguf"), names());
        assertEquals("earlier", Files.readString(out));
        assertEquals(1, notices.size(), notices.toString());
        assertTrue(Files.notExists(old));
    }

    @Test
    void withoutForceThePutBackOutputIsRefusedLikeAnyExistingOutput() throws Exception {
        Path out = tmp.resolve("model.gguf");
        Files.writeString(tmp.resolve(siblingOf(out, deadPid(), ".old")), "earlier");
        OutputTarget.Refused r = org.junit.jupiter.api.Assertions.assertThrows(OutputTarget.Refused.class,
                () -> OutputTarget.file(out).check());
        assertTrue(r.needsForce());
        assertEquals("earlier", Files.readString(out));
    }

    @Test
    void aReplacedOutputMovedAsideBesideANewOneIsDeleted() throws Exception {
        Path out = Files.writeString(tmp.resolve("model.gguf"), "new");
        Files.writeString(tmp.resolve(siblingOf(out, deadPid(), ".old")), "replaced");
        AtomicFiles.writeString(out, "newer");
        assertEquals(List.of("model.gguf"), names());
        assertEquals("newer", Files.readString(out));
    }

    @Test
    void anInputIsNeverTidied() throws Exception {
        Path base = Files.createDirectory(tmp.resolve("base"));
        Path leftover = Files.createFile(tmp.resolve(siblingOf(base, deadPid(), ".tmp")));
        org.junit.jupiter.api.Assertions.assertThrows(OutputTarget.Refused.class,
                () -> OutputTarget.folder(base).force(true).protecting(base).check());
        assertTrue(Files.exists(leftover), "refused before anything beside an input is touched");
    }
}
