package io.laem.engine.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a killed run (SIGKILL, power loss: no shutdown hook ran) left beside an output, and tidying it
 * up the next time that output is written. Every hidden sibling the tool makes is named
 * {@code .NAME.laem-HOST-PID-N.tmp} (a part being written) or {@code .NAME.laem-HOST-PID-N.old} (an
 * earlier output moved aside while the new one is moved in). Only siblings of this exact form, made on
 * this host by a process that is no longer alive, are touched:
 * <ul>
 *   <li>{@code .tmp}: an unfinished write, deleted;</li>
 *   <li>{@code .old} while the output itself is missing (killed between the two moves): moved back, so the
 *       user has the earlier output again;</li>
 *   <li>{@code .old} beside an output that is there: the replaced output the killed run was about to delete, deleted.</li>
 * </ul>
 * Anything else beside the output, including siblings of a live process, is never touched.
 */
public final class Leftovers {
    private Leftovers() {}

    /** Where notices of what was tidied go (the command line prints them; the workbench may log them). */
    private static volatile Consumer<String> notices = m -> System.err.println("laem: " + m);

    public static void setNotices(Consumer<String> sink) {
        notices = sink;
    }

    private static final String HOST = hostTag();
    private static final long PID = ProcessHandle.current().pid();

    /** A fresh sibling name of the form above for {@code target} in {@code dir}. */
    static Path sibling(Path dir, Path target, String suffix) {
        String stem = "." + target.getFileName() + ".laem-" + HOST + "-" + PID + "-" + Long.toHexString(System.nanoTime());
        for (int i = 0; ; i++) {
            Path p = dir.resolve(stem + "-" + i + suffix);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return p;
            }
        }
    }

    /**
     * Tidies what dead runs left beside {@code target} (absolute), as the class comment says. Best effort:
     * what cannot be removed stays and is named in the notice.
     */
    public static void recover(Path target) {
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null || !Files.isDirectory(dir)) {
            return;
        }
        Pattern form = Pattern.compile("\\." + Pattern.quote(target.getFileName().toString())
                + "\\.laem-([0-9a-f]{8})-(\\d+)-[0-9a-f]+-\\d+\\.(tmp|old)");
        List<Path> tmp = new ArrayList<>();
        List<Path> old = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                Matcher m = form.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).equals(HOST) && !alive(Long.parseLong(m.group(2)))) {
                    (m.group(3).equals("tmp") ? tmp : old).add(p);
                }
            });
        } catch (IOException | NumberFormatException e) {
            return; // cannot list: nothing to tidy that we could name
        }
        for (Path o : old) {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.move(o, target);
                    notices.accept(target + ": put back the earlier output that an interrupted run had moved aside");
                    continue;
                } catch (IOException e) {
                    notices.accept(target + ": an interrupted run left the earlier output as " + o + "; could not put it back: " + e.getMessage());
                    continue;
                }
            }
            tmp.add(o);
        }
        int removed = 0;
        for (Path p : tmp) {
            AtomicFiles.deleteRecursively(p);
            removed += Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? 0 : 1;
        }
        if (removed > 0) {
            notices.accept(target + ": removed " + removed + " unfinished temporar" + (removed == 1 ? "y" : "ies")
                    + " left by an interrupted run");
        }
        if (removed < tmp.size()) {
            notices.accept(target + ": could not remove " + (tmp.size() - removed) + " leftover(s) of an interrupted run beside it");
        }
    }

    private static boolean alive(long pid) {
        return pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Eight hex digits of the host name: a sibling made on another machine (a shared disk) is left alone. */
    private static String hostTag() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        return String.format("%08x", name.hashCode());
    }
}
