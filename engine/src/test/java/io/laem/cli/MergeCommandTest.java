package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code laem merge} on the fixtures: the merged adapter's delta is the hand sum, and it passes {@code laem inspect --base}. */
class MergeCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run laem(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = LaemCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void mergesARecipeExactlyAndTheResultPassesInspect() throws Exception {
        Path base = Fixtures.tinyQwen2(tmp);
        List<Path> tasks = Fixtures.taskAdapters(tmp.resolve("adapters"), base, 3);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, """
                base_model: tiny-qwen2
                adapters:
                  - {name: a, path: adapters/task0}
                  - {name: b, path: adapters/task1}
                  - {name: c, path: adapters/task2}
                weights: {a: 0.5, b: [1, -2], c: {attn: 0.25, mlp: 2}}
                """);
        Run r = laem("merge", recipe.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("into 14 modules, rank 12"), r.out());
        LoraAdapter merged = LoraAdapter.load(tmp.resolve("out"));
        Map<ModuleKey, double[]> expected = new HashMap<>();
        double[][] w = {{0.5, 0.5}, {1, -2}};
        for (int t = 0; t < 3; t++) {
            for (LoraModule m : LoraAdapter.load(tasks.get(t)).modules().values()) {
                int l = m.key().layer();
                double wt = t < 2 ? w[t][l] : (m.key().kind().group() == io.laem.engine.model.ModuleKind.Group.ATTN ? 0.25 : 2);
                float[] d = m.denseDelta();
                double[] e = expected.computeIfAbsent(m.key(), k -> new double[d.length]);
                for (int i = 0; i < d.length; i++) {
                    e[i] += wt * d[i];
                }
            }
        }
        for (var e : expected.entrySet()) {
            float[] got = merged.modules().get(e.getKey()).denseDelta();
            double scale = 0;
            for (double v : e.getValue()) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < got.length; i++) {
                assertEquals(e.getValue()[i], got[i], 2e-6 * scale, e.getKey() + " entry " + i);
            }
        }
        Run inspect = laem("inspect", tmp.resolve("out").toString(), "--base", base.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("validated"), inspect.out());
    }

    @Test
    void aMergeThatLosesEnergyWarnsInOneLineAndTheSummaryShowsTheWholePipeline() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Fixtures.taskAdapters(tmp.resolve("adapters"), base, 2);
        String head = """
                base_model: tiny-llama
                adapters: [{name: a, path: adapters/task0}, {name: b, path: adapters/task1}]
                redundancy: {strategy: ties, density: 0.3}
                """;
        Path lossy = tmp.resolve("lossy.yaml");
        Files.writeString(lossy, head + "output: {rank: 2}\n");
        Run r = laem("merge", lossy.toString(), "--out", tmp.resolve("lossy").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.getFirst().startsWith("warning: the merge keeps only "), r.err());
        var report = io.laem.engine.io.Json.JSON.readTree(Files.readString(tmp.resolve("lossy").resolve("merge-report.json")));
        double min = report.get("min_retained_energy").asDouble();
        assertTrue(min < 0.99, "rank 2 of TIES-trimmed deltas loses energy: " + min);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "retained energy: min %.6f over modules", min)), r.out());
        assertEquals(lines.getFirst(), report.get("warning").asText());

        Path exact = tmp.resolve("exact.yaml");
        Files.writeString(exact, head);
        Run e = laem("merge", exact.toString(), "--out", tmp.resolve("exact").toString());
        assertEquals(0, e.code(), e.err());
        assertEquals("", e.err().strip());
        assertTrue(e.out().contains("retained energy: min 1.000000 over modules (plan 1.000000, output 1.000000)"), e.out());
    }

    @Test
    void baselineMethodsRunFromTheCommandLine() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Fixtures.taskAdapters(tmp.resolve("adapters"), base, 2);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, """
                base_model: tiny-llama
                adapters: [{name: a, path: adapters/task0}, {name: b, path: adapters/task1}]
                redundancy: {density: 0.2, seed: 3}
                output: {rank: 4, dtype: bfloat16}
                """);
        for (String m : List.of("ties", "svd", "dare_linear")) {
            Run r = laem("merge", recipe.toString(), "--out", tmp.resolve(m).toString(), "--method", m);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("(method " + m + ") into 14 modules, rank 4"), r.out());
            assertEquals(0, laem("inspect", tmp.resolve(m).toString(), "--base", base.toString()).code());
            assertTrue(Files.readString(tmp.resolve(m).resolve("merge-report.json")).contains("\"method\" : \"" + m + "\""));
        }
        Run bad = laem("merge", recipe.toString(), "--out", tmp.resolve("x").toString(), "--method", "slerp");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("laem: unknown merge method 'slerp'"), bad.err());
    }

    @Test
    void badRecipeIsOneLineNamingTheKey() throws Exception {
        Path recipe = tmp.resolve("r.yaml");
        Files.writeString(recipe, "base_model: x\nadapters: [{name: a, path: a}]\nredundancy: {strategy: tie}\n");
        Run r = laem("merge", recipe.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("laem: " + recipe + ": key 'redundancy.strategy' must be one of"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(!Files.exists(tmp.resolve("o")));
    }

    @Test
    void nanInTheRecipeIsOneLineNamingTheKeyAndNaN() throws Exception {
        Path recipe = tmp.resolve("r.yaml");
        Files.writeString(recipe, "base_model: x\nadapters: [{name: a, path: a}]\nweights: {a: [1, .nan]}\n");
        Run r = laem("merge", recipe.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertEquals("laem: " + recipe + ": key 'weights.a[1]' is .nan, which is NaN or infinity: numbers must be finite", r.err().strip());
        assertTrue(!Files.exists(tmp.resolve("o")));
    }
}
