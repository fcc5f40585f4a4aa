package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.SyntheticModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decode path's shortcuts: fused q/k/v and gate/up weights, the in-place KV cache. */
class DecodePathTest {
    /** Loaded (fused projections) and over caller arrays (one weight per module) agree, LoRA deltas per module included. */
    @Test
    void fusedProjectionsEqualPerModuleOnes() {
        try (NDManager m = NDManager.newBaseManager(); HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen2"));
             Decoder fused = InferBenchmark.torchDecoder(hf)) {
            Map<String, NDArray> params = new HashMap<>();
            for (String n : hf.weights().names()) {
                params.put(n, m.create(hf.weights().floats(n), new Shape(hf.weights().info(n).shape())));
            }
            ModelConfig cfg = hf.config();
            try (Decoder separate = Decoder.fromArrays(cfg, m, params)) {
                for (Decoder d : List.of(fused, separate)) {
                    d.bank().add("a", SyntheticModels.randomModules(cfg, AdapterSpec.allLinear(2, 4), 7));
                    d.bank().setAll("a", 0.7);
                }
                List<long[]> shapes = new ArrayList<>();
                fused.probeLoraOutputs(delta -> shapes.add(delta.getShape().getShape()));
                long[] ids = GoldenSupport.ids();
                float[] a = fused.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
                float[] b = separate.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
                assertArrayEquals(b, a, 1e-5f);
                // one delta per module, in module order, each of that module's width
                assertEquals(cfg.numLayers() * cfg.modules().size(), shapes.size());
                for (int i = 0; i < shapes.size(); i++) {
                    ModuleKind k = cfg.modules().get(i % cfg.modules().size());
                    assertArrayEquals(new long[] {1, ids.length, k.outFeatures(cfg)}, shapes.get(i), k.toString());
                }
                // the per-module parameters are views of the fused weights, same values as the file
                String q = cfg.template().weight(new io.laem.engine.model.ModuleKey(1, ModuleKind.K_PROJ));
                assertArrayEquals(hf.weights().floats(q), fused.parameters().get(q).toFloatArray());
            }
        }
    }

    /**
     * A cache that starts at 2 positions and grows while decoding gives the full sequence's logits, batch 2, on the
     * CPU forward and on PyTorch; past the sliding window (4-5 keys in the mistral, phi3 and gemma fixtures) a step
     * sees only the window's keys (PyTorch: a slice of the cache) where the full forward masks the others.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2", "mistral", "phi3", "gemma2", "gemma3"})
    void growingCacheGivesTheFullSequenceLogits(String family) {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve(family)); Decoder cpu = Decoder.load(hf);
             Decoder torch = InferBenchmark.torchDecoder(hf)) {
            for (Decoder d : List.of(cpu, torch)) {
                growingCacheGivesTheFullSequenceLogits(d);
            }
        }
    }

    private static void growingCacheGivesTheFullSequenceLogits(Decoder d) {
        try (NDManager m = d.manager().newSubManager(); KvCache cache = new KvCache(d.manager(), d.config().numLayers(), 2)) {
            d.bank().add("a", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(2, 4), 3));
            d.bank().setAll("a", 1);
            long[] one = GoldenSupport.ids();
            int t = one.length;
            long[] ids = new long[2 * t];
            for (int i = 0; i < t; i++) {
                ids[i] = one[i];
                ids[t + i] = one[t - 1 - i];
            }
            int v = d.config().vocabSize();
            float[] full = d.forward(m.create(ids, new Shape(2, t)), null).toFloatArray();
            int prefill = 3;
            for (int s = 0; s < t; s = s == 0 ? prefill : s + 1) {
                int n = s == 0 ? prefill : 1;
                long[] step = new long[2 * n];
                for (int b = 0; b < 2; b++) {
                    System.arraycopy(ids, b * t + s, step, b * n, n);
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    float[] got = d.logits(d.hidden(m.create(step, new Shape(2, n)), null, cache)).toFloatArray();
                    for (int b = 0; b < 2; b++) {
                        float[] want = Arrays.copyOfRange(full, (b * t + s) * v, (b * t + s + n) * v);
                        assertArrayEquals(want, Arrays.copyOfRange(got, b * n * v, (b + 1) * n * v), 1e-5f, "position " + s);
                    }
                }
            }
            assertEquals(t, cache.length());
        }
    }

    /**
     * The CPU forward over mapped weights (infer.CpuForward) and the PyTorch path over float32 copies give the same
     * logits, batch 1, 8 and 40, with two adapters of different ranks: a prefill of 5 tokens (one sequence right-padded, one left-padded:
     * the many-row kernels, masked attention), then decode steps over the cache (the few-row kernels); llama,
     * qwen2 (q/k/v biases), qwen3 (q/k norms), mistral (sliding window), phi3 (fused modules: one view each),
     * gemma2 (soft-caps, GeGLU, four norms, embedding scale), gemma3 (local RoPE, q/k norms).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral", "phi3", "gemma2", "gemma3"})
    void cpuForwardEqualsPyTorch(String family) {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve(family)); Decoder cpu = Decoder.load(hf);
             Decoder torch = InferBenchmark.torchDecoder(hf); NDManager m = NDManager.newBaseManager()) {
            assertEquals(java.util.Map.of(), cpu.parameters(), "the CPU decoder holds no arrays of the weights");
            assertEquals(hf.weights().names().size(), torch.parameters().size());
            for (Decoder d : List.of(cpu, torch)) {
                d.bank().add("a", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(2, 4), 5));
                d.bank().setAll("a", 0.8);
                // a second entry of another rank: the CPU decoder packs both into one [R, in] / [R, out] pair per module
                d.bank().add("b", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(3, 6), 9));
                d.bank().setAll("b", -0.5);
            }
            long[] one = GoldenSupport.ids();
            int prompt = 5;
            // batch 40: a prefill of 200 rows, more than the CPU forward's MLP takes at a time
            for (int batch : new int[] {1, 8, 40}) {
                long[] ids = new long[batch * prompt];
                float[] mask = new float[batch * prompt];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = one[i % one.length];
                    mask[i] = 1;
                }
                if (batch > 1) {
                    mask[prompt - 1] = 0; // sequence 0 right-padded by one
                    mask[prompt] = 0; // sequence 1 left-padded by two
                    mask[prompt + 1] = 0;
                }
                float[][] logits = new float[2][];
                for (int path = 0; path < 2; path++) {
                    Decoder d = path == 0 ? cpu : torch;
                    try (KvCache cache = d.newCache(); NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray maskArr = batch > 1 ? m.create(mask, new Shape(batch, prompt)) : null;
                        float[] pre = d.logits(d.hidden(m.create(ids, new Shape(batch, prompt)), maskArr, cache)).toFloatArray();
                        float[] step1 = d.logits(d.hidden(m.create(Arrays.copyOf(ids, batch), new Shape(batch, 1)), null, cache)).toFloatArray();
                        float[] step2 = d.logits(d.hidden(m.create(Arrays.copyOfRange(ids, batch, 2 * batch), new Shape(batch, 1)), null, cache))
                                .toFloatArray();
                        float[] all = Arrays.copyOf(pre, pre.length + step1.length + step2.length);
                        System.arraycopy(step1, 0, all, pre.length, step1.length);
                        System.arraycopy(step2, 0, all, pre.length + step1.length, step2.length);
                        logits[path] = all;
                    }
                }
                int v = cpu.config().vocabSize();
                for (int i = 0; i < logits[0].length; i++) {
                    int row = i / v;
                    boolean paddingRow = row < batch * prompt && mask[row] == 0;
                    if (!paddingRow && Math.abs(logits[0][i] - logits[1][i]) > 1e-5) {
                        throw new AssertionError(family + " batch " + batch + " row " + row + ": " + logits[0][i] + " vs " + logits[1][i]);
                    }
                }
            }
        }
    }

    /**
     * The one rule for which path {@code Decoder.load} takes on the CPU: the mapped CPU forward when the kernels are
     * available and every weight is stored as F32, BF16 or F16; a model with any other float dtype (here one norm
     * weight in F64) is converted for PyTorch instead, with the same logits.
     */
    @Test
    void weightsTheKernelsCannotReadTakeThePyTorchPath(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path src = GoldenSupport.FIXTURES.resolve("qwen2");
        java.nio.file.Path dir = tmp.resolve("qwen2-f64-norm");
        java.nio.file.Files.createDirectories(dir);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            java.nio.file.Files.copy(src.resolve(f), dir.resolve(f));
        }
        io.laem.engine.io.SafetensorsWriter w = new io.laem.engine.io.SafetensorsWriter();
        try (HfModel hf = HfModel.open(src)) {
            for (String n : hf.weights().names()) {
                io.laem.engine.io.DType dt = n.equals("model.norm.weight") ? io.laem.engine.io.DType.F64 : io.laem.engine.io.DType.F32;
                w.add(n, dt, hf.weights().info(n).shape(), hf.weights().floats(n));
            }
        }
        w.writeDirect(dir.resolve("model.safetensors"));
        long[] ids = GoldenSupport.ids();
        try (HfModel f32 = HfModel.open(src); HfModel f64 = HfModel.open(dir); Decoder cpu = Decoder.load(f32);
             Decoder torch = Decoder.load(f64); NDManager m = NDManager.newBaseManager()) {
            assertEquals(java.util.Map.of(), cpu.parameters(), "F32 weights: the CPU forward over the mapping");
            assertEquals(f64.weights().names().size(), torch.parameters().size(), "an F64 weight: PyTorch over converted copies");
            float[] a = cpu.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            float[] b = torch.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            assertArrayEquals(a, b, 1e-5f);
        }
    }

    /**
     * Scoring's target log-probabilities over the same final hidden rows on both paths: the CPU's one pass over the
     * vocabulary ({@code CpuMatmul.targetLogProbs}) equals PyTorch's log-softmax of the logits, Gemma 2's final soft-cap
     * (0.2 in the fixture: every logit capped hard) included.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2", "gemma2"})
    void targetLogProbsAgreeOnBothPaths(String family) {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve(family)); Decoder cpu = Decoder.load(hf);
             Decoder torch = InferBenchmark.torchDecoder(hf); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Map.of(), cpu.parameters(), "the CPU forward over the mapping");
            ModelConfig cfg = hf.config();
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
            int rows = 45;
            float[] h = new float[rows * cfg.hiddenSize()];
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) rnd.nextGaussian() * 4;
            }
            long[] targets = new long[rows];
            for (int r = 0; r < rows; r++) {
                targets[r] = rnd.nextInt(cfg.vocabSize());
            }
            NDArray hidden = m.create(h, new Shape(rows, cfg.hiddenSize()));
            float[] want = torch.targetLogProbs(hidden, targets);
            float[] got = cpu.targetLogProbs(hidden, targets);
            assertArrayEquals(want, got, 1e-5f);
            if (family.equals("gemma2")) { // logits in [-0.2, 0.2]: log p within 0.4 of a uniform distribution's
                for (float g : got) {
                    assertEquals(-Math.log(cfg.vocabSize()), g, 0.401, "soft-capped");
                }
            }
        }
    }

    /** After close the kernel's view of the weights is gone: a forward fails with an exception, not a crash. */
    /** The greedy next tokens and the logits as floats are {@code logits}'s, on the CPU forward and on PyTorch. */
    @Test
    void greedyNextIsEachRowsArgmaxOnBothPaths() {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen3")); Decoder cpu = Decoder.load(hf);
             Decoder torch = InferBenchmark.torchDecoder(hf); NDManager m = NDManager.newBaseManager()) {
            long[] one = GoldenSupport.ids();
            long[] ids = new long[3 * 4];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = one[(7 * i) % one.length];
            }
            for (Decoder d : List.of(cpu, torch)) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray h = d.hidden(m.create(ids, new Shape(3, 4)), null, null).get(":, -1:, :");
                    NDArray logits = d.logits(h);
                    assertArrayEquals(logits.toFloatArray(), d.logitsFloats(h));
                    long[] expected = logits.argMax(-1).toLongArray();
                    assertEquals(3, expected.length);
                    assertArrayEquals(expected, d.greedyNext(h));
                }
            }
        }
    }

    @Test
    void aClosedDecoderRefusesToRun() {
        Decoder d = DecoderGoldenTest.open("qwen2");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 2}, new Shape(2, 1));
            d.close();
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> d.hidden(ids, null, null));
        }
    }
}
