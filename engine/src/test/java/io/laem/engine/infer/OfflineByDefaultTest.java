package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.DemoKit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The engine itself keeps DJL off the network: a JVM started without DJL_OFFLINE/OPT_OUT_TRACKING
 * (as an IDE, {@code java -cp} or an installed package would) loads the engine and runs a forward on
 * the demo kit with every {@code java.net} connection recorded and refused ({@link NetworkGuardMain});
 * none is tried. The same run with the user's opt-in ({@code -Dlaem.online=true}) shows the guard
 * catching DJL's call home (the EC2 instance-metadata address), so the first check can fail.
 */
class OfflineByDefaultTest {
    record Child(int code, String output) {
        List<String> attempts() {
            return output.lines().filter(l -> l.startsWith("ATTEMPT ")).toList();
        }
    }

    static Child run(String... extraJvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules", "jdk.incubator.vector",
                "-Xmx1g"));
        cmd.addAll(List.of(extraJvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NetworkGuardMain.class.getName(), DemoKit.dir().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        for (String v : List.of("DJL_OFFLINE", "OPT_OUT_TRACKING", Djl.ONLINE_ENV)) {
            pb.environment().remove(v);
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM did not finish");
        return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void engineStartedWithoutDjlVariablesTriesNoConnection() throws Exception {
        Child c = run();
        assertEquals(0, c.code(), c.output());
        assertTrue(c.output().contains("FORWARD 2 tokens") || c.output().contains("FORWARD 1 tokens"), c.output());
        assertEquals(List.of(), c.attempts(), c.output());
    }

    @Test
    void theGuardSeesDjlCallingHomeWhenTheUserOptsIn() throws Exception {
        Child c = run("-D" + Djl.ONLINE_PROPERTY + "=true");
        assertEquals(0, c.code(), c.output());
        assertTrue(c.attempts().stream().anyMatch(a -> a.contains("169.254.169.254")), c.output());
    }
}
