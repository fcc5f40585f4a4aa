package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TorchThreadsTest {
    @Test
    void threadCountChangedInsideIsPutBack() {
        Djl.pytorch();
        int original = JniUtils.getNumThreads();
        try {
            JniUtils.setNumThreads(1);
            assertEquals("done", TorchThreads.keep(() -> {
                JniUtils.setNumThreads(2);
                return "done";
            }));
            assertEquals(1, JniUtils.getNumThreads());
        } finally {
            JniUtils.setNumThreads(original);
        }
    }

    /**
     * In a fresh process (in this one ND4J may have started long ago): starting ND4J plainly changes
     * PyTorch's thread count, which is the hazard; through {@link TorchThreads#startNd4j} it does not.
     */
    @Test
    void nd4jStartChangesTheCountUnlessKept() throws Exception {
        assertNotEquals(7, childThreads("plain"), "ND4J's start no longer changes PyTorch's threads: the guard may be unneeded");
        assertEquals(7, childThreads("kept"));
    }

    static int childThreads(String mode) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"));
        String javacpp = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (javacpp != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + javacpp); // ND4J's natives, unpacked once
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TorchThreadsChild.class.getName(), mode));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("THREADS ")).findFirst().orElseThrow(() -> new AssertionError(out));
        return Integer.parseInt(line.substring(8).trim());
    }
}
