package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM (what Ctrl-C and a service stop send) in the middle of a write, in a child JVM started
 * with this JVM's java and class path ({@link InterruptedWriter}): nothing half-written and no
 * temporary remains, the previous output is intact; {@code laem optimize} keeps the best weights found so far.
 */
class InterruptTest {
    @TempDir
    Path tmp;

    /** The child JVM: this one's java, flags and class path (surefire's manifest jar carries the test classes). */
    private static ProcessBuilder child(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).forEach(cmd::add);
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(InterruptedWriter.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Waits for the child's READY line, sends SIGTERM, and returns its exit code. */
    private static int terminateWhenReady(Process p) throws Exception {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                // other output
            }
            if (line == null) {
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                throw new AssertionError("the child ended before it was ready: " + err);
            }
            p.destroy(); // SIGTERM
            return exitCode(p);
        }
    }

    private static int exitCode(Process p) throws InterruptedException {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the child did not end within 120 s of SIGTERM");
        }
        return p.exitValue();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void sigtermWhileAFolderIsWrittenLeavesTheEarlierOutputAndNoTemporary() throws Exception {
        Path out = tmp.resolve("out");
        io.laem.engine.io.OutputTarget.folder(out).write(d -> Files.writeString(d.resolve("old.txt"), "earlier run"));
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        Process p = child("folder", tmp.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(143, terminateWhenReady(p), "killed by SIGTERM");
        assertEquals(List.of("notes.txt", "out"), names(tmp));
        assertEquals(List.of(".laem-output", "old.txt"), names(out));
        assertEquals("earlier run", Files.readString(out.resolve("old.txt")));
    }

    @Test
    void sigtermWhileAFileIsWrittenLeavesNoTemporary() throws Exception {
        Process p = child("file", tmp.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(143, terminateWhenReady(p));
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void sigtermWhileTheFullModelIsWrittenLeavesNeitherOutput() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Fixtures.taskAdapters(tmp.resolve("adapters"), base, 2);
        Path recipe = Files.writeString(tmp.resolve("recipe.yaml"), """
                base_model: tiny-llama
                adapters: [{name: a, path: adapters/task0}, {name: b, path: adapters/task1}]
                """);
        List<String> inputs = names(tmp);
        Process p = child("merge", recipe.toString(), tmp.resolve("adapter").toString(), tmp.resolve("model").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(143, terminateWhenReady(p));
        assertEquals(inputs, names(tmp), "no adapter, no model, no temporary");
    }

    @Test
    void sigtermDuringOptimizeStopsTheSearchAndWritesTheBestWeightsSoFar() throws Exception {
        Path recipe = OptimizeCommandTest.setUp(tmp);
        Path out = tmp.resolve("out");
        List<String> inputs = names(tmp);
        int budget = 1_000_000;
        Path log = Files.createTempFile("laem-optimize-child", ".err"); // outside tmp: the folder is checked for leftovers
        Process p = child("optimize", recipe.toString(), "--budget", Integer.toString(budget), "--param", "per-task", "--out", out.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
        // the progress bar redraws "] N/1000000" with carriage returns: wait for the third evaluation
        Pattern done = Pattern.compile("\\] (\\d+)/" + budget);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!matchesAtLeast(done.matcher(Files.readString(log)), 3)) {
            assertTrue(p.isAlive(), "the child ended early: " + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "no third evaluation within 120 s: " + Files.readString(log));
            Thread.sleep(50);
        }
        p.destroy(); // SIGTERM: the shutdown hook cancels the search and waits for the outputs
        int code = exitCode(p);
        String err = Files.readString(log);
        Files.delete(log);
        assertEquals(143, code, err);
        assertTrue(err.contains("laem optimize: interrupted; wrote the best weights found so far"), err);
        List<String> expected = new ArrayList<>(inputs);
        expected.add("out");
        expected.sort(null);
        assertEquals(expected, names(tmp), "the output and no temporary");
        JsonNode search = Json.readTree(out.resolve("search.json"));
        JsonNode report = Json.readTree(out.resolve("report.json"));
        assertTrue(search.get("interrupted").asBoolean());
        assertTrue(report.get("interrupted").asBoolean());
        int evaluations = search.get("evaluations").asInt();
        assertTrue(evaluations >= 3 && evaluations < budget, "evaluations " + evaluations);
        assertEquals(evaluations + 1, Files.readAllLines(out.resolve("history.csv")).size());
        assertTrue(Files.size(out.resolve("adapter/adapter_model.safetensors")) > 0);
        assertTrue(Files.exists(out.resolve("best-recipe.yaml")));
    }

    @Test
    void aCancelledSearchStopsWithinOneEvaluationAndItsBestWeightsAreWritten() throws Exception {
        Path recipeFile = OptimizeCommandTest.setUp(tmp);
        io.laem.engine.merge.recipe.Recipe recipe = io.laem.engine.merge.recipe.RecipeYaml.read(recipeFile);
        io.laem.engine.eval.TaskSuite suite = io.laem.engine.eval.TaskSuite.read(recipe.tasks());
        var settings = new io.laem.engine.optimize.OptimizeSettings().budget(1000).param("per-task");
        var cancel = new io.laem.engine.progress.CancellationToken();
        int[] seen = {0};
        Path out = tmp.resolve("out");
        try (var o = io.laem.engine.optimize.LaemOptimizer.open(recipe, suite, settings, (d, t, m) -> {}, cancel)) {
            var search = o.search(new io.laem.engine.optimize.RunListener() {
                @Override
                public void candidate(io.laem.engine.optimize.CandidateEvent e) {
                    if (++seen[0] == 3) {
                        cancel.cancel(); // what the interrupt hook does
                    }
                }
            });
            var methods = o.compareUntilCancelled(search);
            assertEquals(java.util.Map.of(), methods, "no test-split comparison once interrupted");
            o.write(io.laem.engine.io.OutputTarget.folder(out), search, methods);
        }
        assertEquals(3, seen[0], "no evaluation started after the cancel");
        JsonNode search = Json.readTree(out.resolve("search.json"));
        assertEquals(3, search.get("evaluations").asInt());
        assertTrue(search.get("interrupted").asBoolean());
        assertTrue(Json.readTree(out.resolve("report.json")).get("interrupted").asBoolean());
        assertEquals(4, Files.readAllLines(out.resolve("history.csv")).size());
        assertTrue(Files.size(out.resolve("adapter/adapter_model.safetensors")) > 0);
    }

    private static boolean matchesAtLeast(Matcher m, int n) {
        int last = -1;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last >= n;
    }
}
