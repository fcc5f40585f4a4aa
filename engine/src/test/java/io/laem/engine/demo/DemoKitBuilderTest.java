package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.cli.LaemCli;

import io.laem.engine.eval.TaskSuite;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModuleKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole build pipeline on a tiny model for a few steps: files, formats, and a second build of the
 * same seed bit-identical to the first. A few steps cannot show a slow drift; what is checked of its
 * known cause (ND4J resetting the thread count PyTorch shares) is that a build started at another
 * thread count sets its own and keeps it for every step it logs.
 */
class DemoKitBuilderTest {
    @TempDir
    Path dir;

    @Test
    void smokeBuildWritesACompleteKitAndRepeatsBitForBit() throws Exception {
        Path kit = dir.resolve("kit");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = LaemCli.commandLine();
        // PyTorch's thread count when each line is logged: the build must hold its own (--threads 1) throughout
        java.util.List<Integer> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        cl.setOut(new PrintWriter(out) {
            @Override
            public void flush() {
                threads.add(ai.djl.pytorch.jni.JniUtils.getNumThreads()); // the build flushes after each line it logs
                super.flush();
            }
        });
        cl.setErr(new PrintWriter(err));
        io.laem.engine.infer.Djl.pytorch();
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(3);
        try {
            assertEquals(0, cl.execute("demo-kit", "build", "--out", kit.toString(), "--seed", "3", "--smoke", "--threads", "1"), err.toString());
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
        }
        assertTrue(threads.size() >= 5, "log lines: " + threads.size());
        assertTrue(threads.stream().allMatch(n -> n == 1), "PyTorch threads while building: " + threads);
        assertTrue(out.toString().contains("adapter shift trained"), out.toString());

        try (HfModel base = HfModel.open(kit.resolve("base"))) {
            assertEquals(DemoData.vocabSize(), base.config().vocabSize());
            assertTrue(base.tokenizerJson().isPresent());
        }
        for (DemoTask t : DemoTask.values()) {
            LoraAdapter a = LoraAdapter.load(kit.resolve("adapters").resolve(t.id()));
            assertEquals(2 * 7, a.modules().size()); // 2 layers of llama's seven modules
            assertEquals(2.0, a.config().scaleOf(a.modules().firstKey()), 1e-12);
        }
        TaskSuite suite = TaskSuite.read(kit.resolve("tasks.yaml"));
        assertEquals(4, suite.names().size());
        assertEquals(8, suite.examples("nines", "test").size());
        assertEquals(Jsonl.format(DemoData.splits(DemoTask.NINES, 3, 40, 8, 8).test()), Files.readString(suite.path("nines", "test")));
        Recipe r = RecipeYaml.read(kit.resolve("recipe.yaml"));
        assertEquals(kit.resolve("base").toAbsolutePath().normalize(), r.baseModel());
        assertEquals(0.25, r.weight("spell", 0, 2, ModuleKind.Q_PROJ), 0);
        assertTrue(Files.readString(kit.resolve("README.md")).contains("| adapter `shift` |"));
        assertTrue(Files.readString(kit.resolve("recipe.yaml")).contains("path: adapters/shift"));

        // the same seed again: identical data and bit-identical weights
        Path again = dir.resolve("again");
        new DemoKitBuilder(DemoKitSettings.smoke(), 3, null).build(again);
        assertEquals(-1L, Files.mismatch(kit.resolve("tasks/spell/train.jsonl"), again.resolve("tasks/spell/train.jsonl")));
        for (String f : new String[] {"base/model.safetensors", "adapters/nines/adapter_model.safetensors", "adapters/spell/adapter_model.safetensors"}) {
            assertEquals(-1L, Files.mismatch(kit.resolve(f), again.resolve(f)), f);
        }
    }

    @Test
    void trainingLowersTheLossOnAFixedBatch() {
        var s = DemoKitSettings.smoke();
        var cfg = io.laem.engine.model.ModelConfig.parse("t", io.laem.engine.synth.SyntheticModels.configJson(s.model()));
        try (var nd = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            var params = DemoKitBuilder.initialWeights(nd, cfg, new java.util.SplittableRandom(1));
            params.values().forEach(p -> p.setRequiresGradient(true));
            var ex = java.util.List.of(new io.laem.engine.eval.EncodedExample(new long[] {1, 5, 6, 7}, new long[] {7, 6, 5, 2}),
                    new io.laem.engine.eval.EncodedExample(new long[] {1, 8, 9}, new long[] {9, 8, 2}));
            var batch = io.laem.engine.eval.TokenBatch.of(ex, 0, false);
            try (var dec = io.laem.engine.infer.Decoder.fromArrays(cfg, nd, params)) {
                float first = Trainer.train(dec, params, step -> batch, new Trainer.Settings(1, 1e-2f, 0f, 1, 1f), null, null);
                float later = Trainer.train(dec, params, step -> batch, new Trainer.Settings(40, 1e-2f, 0f, 1, 1f), null, null);
                assertTrue(later < 0.5 * first, first + " -> " + later);
                // LoRA factors as trainable bank entries, base frozen
                params.values().forEach(p -> p.setRequiresGradient(false));
                var lora = new java.util.LinkedHashMap<io.laem.engine.model.ModuleKey, io.laem.engine.infer.LoraBank.Factors>();
                var trainable = new java.util.LinkedHashMap<String, ai.djl.ndarray.NDArray>();
                for (var key : io.laem.engine.model.ArchitectureTemplate.allModules(cfg)) {
                    var a = nd.randomUniform(-0.1f, 0.1f, new ai.djl.ndarray.types.Shape(4, key.kind().inFeatures(cfg)));
                    var b = nd.zeros(new ai.djl.ndarray.types.Shape(key.kind().outFeatures(cfg), 4));
                    a.setRequiresGradient(true);
                    b.setRequiresGradient(true);
                    lora.put(key, new io.laem.engine.infer.LoraBank.Factors(a, b, 2.0));
                    trainable.put(key + ".A", a);
                    trainable.put(key + ".B", b);
                }
                var ex2 = java.util.List.of(new io.laem.engine.eval.EncodedExample(new long[] {1, 5, 6, 7}, new long[] {9, 9, 9, 2}));
                var batch2 = io.laem.engine.eval.TokenBatch.of(ex2, 0, false);
                dec.bank().addArrays("t", lora);
                dec.bank().setAll("t", 1.0);
                float l0 = Trainer.train(dec, trainable, step -> batch2, new Trainer.Settings(1, 1e-2f, 0f, 1, 1f), null, null);
                float l1 = Trainer.train(dec, trainable, step -> batch2, new Trainer.Settings(40, 1e-2f, 0f, 1, 1f), null, null);
                assertTrue(l1 < 0.5 * l0, "LoRA " + l0 + " -> " + l1);
            }
        }
    }
}
