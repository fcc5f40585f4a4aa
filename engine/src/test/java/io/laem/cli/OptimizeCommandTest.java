package io.laem.cli;

import io.laem.engine.live.LiveMerge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.io.Json;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code laem optimize} end to end on the tiny llama fixture with its two adapters and two small tasks. */
class OptimizeCommandTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/llama");

    static Path setUp(Path dir) throws java.io.IOException {
        Recipe r = Recipe.of(FIXTURE.toAbsolutePath(), List.of(
                        new Recipe.AdapterRef("a", FIXTURE.resolve("adapter_a").toAbsolutePath()),
                        new Recipe.AdapterRef("b", FIXTURE.resolve("adapter_b").toAbsolutePath())))
                .withWeight("a", Schedule.constant(0.5)).withWeight("b", Schedule.constant(0.5))
                .withTasks(writeTasks(dir));
        RecipeYaml.write(r, dir.resolve("recipe.yaml"));
        return dir.resolve("recipe.yaml");
    }

    /** Two small tasks (4 examples per split) in the fixtures' character set; returns the tasks.yaml. */
    static Path writeTasks(Path dir) throws java.io.IOException {
        for (String task : List.of("a", "b")) {
            for (String split : TaskSuite.SPLITS) {
                StringBuilder jsonl = new StringBuilder();
                for (int i = 0; i < 4; i++) {
                    jsonl.append(Json.JSON.createObjectNode().put("prompt", task + split.charAt(0) + i + " =")
                            .put("completion", " " + (task.equals("a") ? "xy" : "zw") + i).toString()).append('\n');
                }
                Path file = dir.resolve("tasks/" + task + "/" + split + ".jsonl");
                Files.createDirectories(file.getParent());
                Files.writeString(file, jsonl);
            }
        }
        TaskSuite.writeStandard(dir.resolve("tasks.yaml"), List.of("a", "b"));
        return dir.resolve("tasks.yaml");
    }

    static int run(StringWriter out, StringWriter err, String... args) {
        var cl = LaemCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void writesEveryOutputAndTheMergedAdapterScoresAsTheBankDid(@TempDir Path dir) throws Exception {
        Path recipe = setUp(dir);
        Path out = dir.resolve("out");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        // the run uses one PyTorch thread (--threads 1) and puts the process's count back afterwards
        ai.djl.engine.Engine.getEngine("PyTorch");
        int original = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        int rc;
        try {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(2);
            // per-token NLL (not the default per-example objective): the value the merged adapter's mean NLL reproduces below
            rc = run(so, se, "optimize", recipe.toString(), "--budget", "8", "--param", "per-layer", "--seed", "3", "--objective", "nll",
                    "--plans", "recipe,ties:0.5+consensus:2", "--out", out.toString());
            assertEquals(2, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "laem optimize left the thread count changed");
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(original);
        }
        assertEquals(0, rc, se.toString());
        assertTrue(se.toString().contains("] 8/8"), se.toString());

        JsonNode report = Json.readTree(out.resolve("report.json"));
        assertEquals(List.of("base", "uniform", "task_arithmetic", "ties", "dare_ties", "laem", "adapter:a", "adapter:b"),
                iterable(report.get("methods").fieldNames()));
        double laem = report.get("mean_exact_match").get("laem").asDouble();
        assertEquals(100 * (laem - report.get("mean_exact_match").get("task_arithmetic").asDouble()),
                report.get("laem_vs").get("task_arithmetic").asDouble(), 1e-9);
        for (JsonNode m : report.get("methods")) {
            assertEquals(List.of("a", "b"), iterable(m.fieldNames()));
            for (JsonNode t : m) {
                assertTrue(t.get("exact_match").asDouble() >= 0 && t.get("exact_match").asDouble() <= 1);
                assertTrue(t.get("mean_nll").asDouble() > 0);
            }
        }
        List<String> history = Files.readAllLines(out.resolve("history.csv"));
        JsonNode search = Json.readTree(out.resolve("search.json"));
        // the default search is Adam on the gradient: a step costs three evaluations of the budget, two plans of budget 4
        // take two steps each
        assertEquals("gradient", search.get("method").asText());
        assertEquals(search.get("evaluations").asInt() + 1, history.size());
        assertEquals(4, search.get("evaluations").asInt(), search.toString());
        assertEquals(12.0, search.get("full_evaluations_spent").asDouble(), 1e-9);
        assertTrue(search.get("evaluations_per_second").asDouble() > 0);
        assertTrue(search.get("validation").get("laem").asDouble() <= search.get("validation").get("warm_start").asDouble());
        assertTrue(Files.size(out.resolve("weights.png")) > 1000);

        // the best recipe re-reads, and the merged adapter alone reproduces the validation loss the bank found
        Recipe best = RecipeYaml.read(out.resolve("best-recipe.yaml"));
        assertEquals(2, best.adapters().size());
        TaskSuite suite = TaskSuite.read(dir.resolve("tasks.yaml"));
        try (LiveMerge live = LiveMerge.open(FIXTURE, ai.djl.Device.cpu()); LiveMerge.Use m = live.use("test")) {
            live.show(Recipe.of(FIXTURE, List.of(new Recipe.AdapterRef("merged", out.resolve("adapter")))),
                    io.laem.engine.progress.ProgressListener.NONE, io.laem.engine.progress.CancellationToken.NONE);
            Map<String, Double> nll = new Evaluator(m.decoder(), m.tokenizer()).meanNll(suite.split("validation"));
            double mean = nll.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertEquals(search.get("validation").get("laem").asDouble(), mean, 1e-4);
        }
    }

    @Test
    void largeScaleDefaultsMinibatchTheGradientAndSkipTheTiesBaselines(@TempDir Path dir) throws Exception {
        Path recipe = setUp(dir);
        Path out = dir.resolve("out");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        // the fixture is tiny: --scale large forces the large-model defaults; 4 examples per task in minibatches of 2
        int rc = run(so, se, "optimize", recipe.toString(), "--scale", "large", "--minibatch", "2", "--budget", "5", "--out", out.toString());
        assertEquals(0, rc, se.toString());
        assertTrue(se.toString().contains("large model: gradient (minibatches of 2 per task)"), se.toString());
        JsonNode search = Json.readTree(out.resolve("search.json"));
        assertEquals("large", search.get("scale").asText());
        assertEquals(2, search.get("minibatch").asInt());
        assertEquals(Runtime.getRuntime().availableProcessors(), search.get("threads").asInt());
        assertTrue(search.get("ties_density").isNull(), search.toString());
        for (String phase : List.of("planning", "baselines on validation", "search")) {
            assertTrue(search.get("seconds_by_phase").get(phase).asDouble() > 0, phase);
        }
        // the start and the end point are full evaluations; two steps on half the examples cost 1.5 each
        List<String> history = Files.readAllLines(out.resolve("history.csv"));
        List<String> costs = history.stream().skip(1).map(line -> line.split(",")[5]).toList();
        assertEquals(List.of("1.0", "1.5", "1.5", "1.0"), costs);
        assertEquals(5.0, search.get("full_evaluations_spent").asDouble(), 1e-9);
        JsonNode report = Json.readTree(out.resolve("report.json"));
        assertEquals(List.of("base", "uniform", "task_arithmetic", "laem", "adapter:a", "adapter:b"), iterable(report.get("methods").fieldNames()));
    }

    @Test
    void trainExamplesJoinTheObjectivesData(@TempDir Path dir) throws Exception {
        Path recipe = setUp(dir);
        long[] tokens = new long[2];
        for (int n = 0; n < 2; n++) {
            Path out = dir.resolve("out" + n);
            StringWriter se = new StringWriter();
            int rc = run(new StringWriter(), se, "optimize", recipe.toString(), "--budget", "3", "--no-baselines", "--train-examples", String.valueOf(2 * n),
                    "--out", out.toString());
            assertEquals(0, rc, se.toString());
            JsonNode search = Json.readTree(out.resolve("search.json"));
            tokens[n] = search.get("validation_tokens").asLong();
            assertEquals(n == 1, search.has("train_examples"), search.toString());
        }
        // 4 validation examples per task, then 2 train examples of the same shape ("at0 =" + " xy0" like "av0 =" + " xy0")
        assertEquals(tokens[0] * 12 / 8, tokens[1]);
    }

    @Test
    void badParamIsAOneLineError(@TempDir Path dir) throws Exception {
        Path recipe = setUp(dir);
        StringWriter se = new StringWriter();
        int rc = run(new StringWriter(), se, "optimize", recipe.toString(), "--param", "per-head", "--out", dir.resolve("o").toString());
        assertEquals(1, rc);
        assertTrue(se.toString().startsWith("laem: --param per-head"), se.toString());
        assertTrue(!Files.exists(dir.resolve("o")));
    }

    @Test
    void nonFiniteNumbersAreOneLineErrorsNamingTheOption(@TempDir Path dir) throws Exception {
        Path recipe = setUp(dir);
        String[][] cases = {{"--sigma", "NaN", "--sigma must be a finite number"}, {"--sigma", "Infinity", "--sigma must be a finite number"},
                {"--bounds", "-Infinity,2", "--bounds must be finite numbers"}, {"--bounds", "0,NaN", "--bounds must be finite numbers"},
                {"--l1", "Infinity", "--l1 must be >= 0"}, {"--floor", "0.5,NaN", "--floor: fraction must be in [0, 1]"},
                {"--task-weight", "a=NaN", "--task-weight a=NaN"}, {"--task-weight", "a=-1", "--task-weight a=-1.0"}};
        for (String[] c : cases) {
            StringWriter se = new StringWriter();
            int rc = run(new StringWriter(), se, "optimize", recipe.toString(), c[0], c[1], "--out", dir.resolve("o").toString());
            assertEquals(1, rc, c[0] + " " + c[1]);
            assertTrue(se.toString().startsWith("laem: " + c[2]), se.toString());
            assertEquals(1, se.toString().strip().lines().count(), se.toString());
            assertTrue(!Files.exists(dir.resolve("o")));
        }
    }

    static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
