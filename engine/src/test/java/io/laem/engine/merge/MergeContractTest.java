package io.laem.engine.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.WeightStore;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of issue 3: with no redundancy removal, no shared module and exact output, every
 * merged module's delta equals sum_t w(l,t) s_t B_t A_t, computed here by hand in double from the
 * input factors, to float32 precision; adapters differ in rank, targets, patterns and rsLoRA.
 */
class MergeContractTest {
    @TempDir
    Path tmp;

    /** {@link Fixtures#mixedRecipe} under the test's folder. */
    Recipe mixedRecipe(Path base) {
        return Fixtures.mixedRecipe(tmp.resolve("adapters"), base);
    }

    /** sum_t w(l,t) s_t B_t A_t in double, straight from the loaded inputs. */
    static Map<ModuleKey, double[]> handSum(Recipe r, int numLayers) {
        Map<ModuleKey, double[]> sum = new LinkedHashMap<>();
        for (AdapterRef ref : r.adapters()) {
            LoraAdapter a = LoraAdapter.load(ref.path(), ref.name());
            for (LoraModule m : a.modules().values()) {
                double w = r.weight(ref.name(), m.key().layer(), numLayers, m.key().kind());
                double[] d = sum.computeIfAbsent(m.key(), k -> new double[m.out() * m.in()]);
                for (int o = 0; o < m.out(); o++) {
                    for (int i = 0; i < m.in(); i++) {
                        double s = 0;
                        for (int j = 0; j < m.rank(); j++) {
                            s += (double) m.b()[o * m.rank() + j] * m.a()[j * m.in() + i];
                        }
                        d[o * m.in() + i] += w * m.scale() * s;
                    }
                }
            }
        }
        return sum;
    }

    static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static void assertDeltaEquals(double[] expected, float[] actual, double relTol, String what) {
        double scale = maxAbs(expected);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (err > relTol * scale) {
                throw new AssertionError(what + ": entry " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    @Test
    void exactMergeEqualsTheWeightedSumOfDeltas() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = mixedRecipe(base);
        Path out = tmp.resolve("merged");
        List<String> messages = new ArrayList<>();
        RecipeMerge.run(r, out, null, (d, t, m) -> messages.add(m), CancellationToken.NONE);
        assertFalse(messages.isEmpty());
        ModelConfig cfg = Fixtures.config(base);
        Map<ModuleKey, double[]> expected = handSum(r, cfg.numLayers());
        LoraAdapter merged = LoraAdapter.load(out);
        merged.validateAgainst(cfg, base);
        assertEquals(expected.keySet(), merged.modules().keySet());
        for (Map.Entry<ModuleKey, double[]> e : expected.entrySet()) {
            assertDeltaEquals(e.getValue(), merged.modules().get(e.getKey()).denseDelta(), 2e-6, e.getKey().toString());
        }
        // ranks add up: the q_proj of layer 1 has all-linear 8 + qv 4 + rslora 16 + patterned 8 + last-layer 4
        assertEquals(40, merged.modules().get(new ModuleKey(1, io.laem.engine.model.ModuleKind.Q_PROJ)).rank());
        JsonNode report = Json.readTree(out.resolve(MergeWriter.REPORT));
        assertEquals(1.0, report.get("min_retained_energy").asDouble());
        assertEquals(merged.modules().size(), report.get("modules").asInt());
    }

    @Test
    void bfloat16OutputIsWithinBfloat16Precision() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = mixedRecipe(base).withOutput(new Output(null, DType.BF16));
        RecipeMerge.run(r, tmp.resolve("bf16"), null, ProgressListener.NONE, CancellationToken.NONE);
        LoraAdapter merged = LoraAdapter.load(tmp.resolve("bf16"));
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("bf16").resolve(LoraAdapter.WEIGHTS))) {
            assertTrue(f.tensors().stream().allMatch(t -> t.dtype() == DType.BF16));
        }
        Map<ModuleKey, double[]> expected = handSum(r, 2);
        for (Map.Entry<ModuleKey, double[]> e : expected.entrySet()) {
            assertDeltaEquals(e.getValue(), merged.modules().get(e.getKey()).denseDelta(), 0.05, e.getKey().toString());
        }
    }

    @Test
    void rankNIsTheBestRankNApproximation() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = mixedRecipe(base).withOutput(new Output(6, DType.F32));
        MergedAdapter m = RecipeMerge.merge(r, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> expected = handSum(r, 2);
        for (Map.Entry<ModuleKey, double[]> e : expected.entrySet()) {
            LoraModule got = m.modules().get(e.getKey());
            int rows = got.out();
            int cols = got.in();
            // Eckart-Young: the best rank-6 approximation from a dense SVD of the hand sum (numpy-free reference: LAPACK on the dense matrix)
            var dense = org.nd4j.linalg.factory.Nd4j.createFromArray(e.getValue()).reshape('c', rows, cols);
            var s = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.DOUBLE, Math.min(rows, cols));
            var u = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.DOUBLE, new long[] {rows, rows}, 'f');
            var vt = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.DOUBLE, new long[] {cols, cols}, 'f');
            org.nd4j.linalg.factory.Nd4j.getBlasWrapper().lapack().gesvd(dense.dup('f'), s, u, vt);
            int k = Math.min(6, (int) s.length());
            double[] sv = s.toDoubleVector();
            double kept = 0;
            double total = 0;
            for (int i = 0; i < sv.length; i++) {
                total += sv[i] * sv[i];
                kept += i < k ? sv[i] * sv[i] : 0;
            }
            var best = u.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k))
                    .mulRowVector(s.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k)))
                    .mmul(vt.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k), org.nd4j.linalg.indexing.NDArrayIndex.all()));
            assertDeltaEquals(best.dup('c').data().asDouble(), got.denseDelta(), 1e-5, e.getKey().toString());
            double expectedEnergy = total == 0 ? 1 : kept / total;
            assertEquals(expectedEnergy, m.report().get(e.getKey()).retainedEnergy(), 1e-6, e.getKey().toString());
            assertTrue(got.rank() <= 6);
        }
    }

    @Test
    void fullModelIsBasePlusDeltaShardedLikeTheInput() throws Exception {
        Path single = Fixtures.tinyLlama(tmp);
        Path base = shard(single, tmp.resolve("sharded"));
        Recipe r = mixedRecipe(single);
        r = new Recipe(base, r.adapters(), r.redundancy(), r.shared(), r.weights(), r.output(), null);
        byte[] before = Files.readAllBytes(base.resolve("model-00001-of-00002.safetensors"));
        MergeSummary m = RecipeMerge.run(r, tmp.resolve("adapter"), tmp.resolve("full"), ProgressListener.NONE, CancellationToken.NONE);
        assertArrayEquals(before, Files.readAllBytes(base.resolve("model-00001-of-00002.safetensors")), "input unchanged");
        Path full = tmp.resolve("full");
        assertTrue(Files.exists(full.resolve("config.json")));
        assertTrue(Files.exists(full.resolve(WeightStore.INDEX)));
        assertTrue(Files.exists(full.resolve("model-00002-of-00002.safetensors")));
        ModelConfig cfg = Fixtures.config(single);
        ArchitectureTemplate t = cfg.template();
        Map<ModuleKey, double[]> expected = handSum(r, cfg.numLayers());
        try (WeightStore in = WeightStore.open(base); WeightStore outStore = WeightStore.open(full)) {
            assertEquals(in.shardOf(), outStore.shardOf());
            for (String name : in.names()) {
                float[] w0 = in.floats(name);
                float[] w1 = outStore.floats(name);
                ModuleKey k = m.report().keySet().stream().filter(x -> t.weight(x).equals(name)).findFirst().orElse(null);
                if (k == null) {
                    assertArrayEquals(w0, w1, name);
                } else {
                    double[] exp = expected.get(k).clone();
                    for (int i = 0; i < exp.length; i++) {
                        exp[i] += w0[i];
                    }
                    assertDeltaEquals(exp, w1, 2e-6, name);
                }
            }
        }
    }

    @Test
    void cancellationLeavesNoOutput() {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = mixedRecipe(base);
        CancellationToken c = new CancellationToken();
        ProgressListener cancelHalfway = (done, total, msg) -> {
            if (done > total / 2) {
                c.cancel();
            }
        };
        org.junit.jupiter.api.Assertions.assertThrows(CancelledException.class,
                () -> RecipeMerge.run(r, tmp.resolve("never"), null, cancelHalfway, c));
        assertFalse(Files.exists(tmp.resolve("never")));
    }

    /** Splits a single-file model into two shards with an index, as HF does. */
    static Path shard(Path model, Path dir) throws Exception {
        Files.createDirectories(dir);
        try (WeightStore in = WeightStore.open(model)) {
            List<String> names = in.names();
            SafetensorsWriter a = new SafetensorsWriter().metadata("format", "pt");
            SafetensorsWriter b = new SafetensorsWriter().metadata("format", "pt");
            var map = Json.JSON.createObjectNode();
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                var info = in.info(n);
                String shard = i < names.size() / 2 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (i < names.size() / 2 ? a : b).add(n, info.dtype(), info.shape(), in.floats(n));
                map.put(n, shard);
            }
            a.write(dir.resolve("model-00001-of-00002.safetensors"));
            b.write(dir.resolve("model-00002-of-00002.safetensors"));
            var idx = Json.JSON.createObjectNode();
            idx.putObject("metadata");
            idx.set("weight_map", map);
            Files.writeString(dir.resolve(WeightStore.INDEX), idx.toPrettyString());
        }
        Files.copy(model.resolve("config.json"), dir.resolve("config.json"));
        return dir;
    }
}
