package io.laem.engine.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MoA end to end on a tiny random model: a router trained on two tasks with very different prompts
 * routes every test prompt to its task's adapter, and routed inference then scores exactly like
 * the chosen adapter alone (laem score with that adapter at weight 1).
 */
class MoaCommandTest {
    @TempDir
    static Path dir;

    static Path base;
    static Path tasks;

    @BeforeAll
    static void kit() throws Exception {
        base = Fixtures.tinyLlama(dir);
        StringBuilder chars = new StringBuilder();
        for (char c = ' '; c < ' ' + 92; c++) {
            chars.append(c);
        }
        CharTokenizer.write(base, chars.toString());
        Fixtures.taskAdapters(dir.resolve("adapters"), base, 2);
        tasks = dir.resolve("tasks.yaml");
        io.laem.engine.eval.TaskSuite.writeStandard(tasks, List.of("a", "b"));
        for (String t : List.of("a", "b")) {
            String letters = t.equals("a") ? "abcde" : "VWXYZ";
            for (String split : List.of("train", "validation", "test")) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 12; i++) {
                    String p = "" + letters.charAt(i % 5) + letters.charAt((i * 3) % 5) + letters.charAt((i + split.length()) % 5);
                    sb.append("{\"prompt\":\"").append(p).append("=\",\"completion\":\"").append(p.charAt(0)).append("\"}\n");
                }
                Path f = dir.resolve("tasks/" + t + "/" + split + ".jsonl");
                Files.createDirectories(f.getParent());
                Files.writeString(f, sb.toString());
            }
        }
    }

    @Test
    void trainsRoutesAndScoresLikeTheChosenAdapter() throws Exception {
        List<Path> adapters = Fixtures.taskAdapters(dir.resolve("adapters"), base, 2);
        Path router = dir.resolve("router");
        CliRun train = CliRun.laem("route", "train", "--base", base.toString(), "--adapter", "a=" + adapters.get(0),
                "--adapter", "b=" + adapters.get(1), "--tasks", tasks.toString(), "--out", router.toString());
        assertEquals(0, train.code(), train.err());
        assertTrue(Files.exists(router.resolve(Router.WEIGHTS)));

        CliRun eval = CliRun.laem("route", "eval", "--base", base.toString(), "--router", router.toString(),
                "--tasks", tasks.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonNode ts = Json.JSON.readTree(eval.out()).get("tasks");
        for (int t = 0; t < 2; t++) {
            String name = t == 0 ? "a" : "b";
            assertEquals(1.0, ts.get(name).get("routing_accuracy").asDouble(), name);
            CliRun alone = CliRun.laem("score", "--base", base.toString(), "--adapter", adapters.get(t) + ":1",
                    "--data", dir.resolve("tasks/" + name + "/test.jsonl").toString(), "--json");
            assertEquals(0, alone.code(), alone.err());
            double expected = Json.JSON.readTree(alone.out()).get("mean_nll").asDouble();
            assertEquals(expected, ts.get(name).get("mean_nll").asDouble(), 1e-5 * Math.abs(expected), name);
        }

        CliRun gen = CliRun.laem("route", "generate", "--base", base.toString(), "--router", router.toString(),
                "--prompt", "VWX=", "--max-tokens", "3");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.err().startsWith("route: b (p="), gen.err());
    }

    @Test
    void taskWithoutAdapterIsAOneLineError() {
        List<Path> adapters = Fixtures.taskAdapters(dir.resolve("adapters"), base, 2);
        CliRun r = CliRun.laem("route", "train", "--base", base.toString(), "--adapter", "a=" + adapters.get(0),
                "--tasks", tasks.toString(), "--out", dir.resolve("r2").toString());
        assertEquals(1, r.code());
        assertEquals("laem: task 'b' has no adapter: name an adapter folder after the task or map it with TASK=DIR\n", r.err());
        assertTrue(Files.notExists(dir.resolve("r2")));
    }
}
