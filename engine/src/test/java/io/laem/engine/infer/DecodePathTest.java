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
             Decoder fused = Decoder.load(hf)) {
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
     * A cache that starts at 2 positions and grows while decoding gives the full sequence's logits, batch 2; past
     * the sliding window (4-5 keys in the mistral, phi3 and gemma fixtures) a step's window is a slice of the cache
     * where the full forward masks it.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen2", "mistral", "phi3", "gemma2", "gemma3"})
    void growingCacheGivesTheFullSequenceLogits(String family) {
        try (Decoder d = DecoderGoldenTest.open(family); NDManager m = d.manager().newSubManager();
             KvCache cache = new KvCache(d.manager(), d.config().numLayers(), 2)) {
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
     * The decode kernel path (infer.cpu.FewRowMatmul) and the PyTorch path give the same logits, batch 1 and 8,
     * with an adapter: llama, qwen2 (q/k/v biases), qwen3 (q/k norms), mistral (sliding window), phi3 (fused modules),
     * gemma2 (soft-caps, GeGLU, four norms), gemma3 (local RoPE, q/k norms).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral", "phi3", "gemma2", "gemma3"})
    void decodeKernelEqualsPyTorch(String family) {
        try (Decoder d = DecoderGoldenTest.open(family); NDManager m = d.manager().newSubManager()) {
            d.bank().add("a", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(2, 4), 5));
            d.bank().setAll("a", 0.8);
            long[] one = GoldenSupport.ids();
            for (int batch : new int[] {1, 8}) {
                long[] ids = new long[batch * 2];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = one[i % one.length];
                }
                float[][] logits = new float[2][];
                for (int kernel = 0; kernel < 2; kernel++) {
                    System.setProperty(io.laem.engine.infer.cpu.FewRowMatmul.ENABLED_PROPERTY, kernel == 1 ? "true" : "false");
                    try (KvCache cache = d.newCache(); NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        // one token per sequence: a decode step's rows (batch 8: the kernel's largest)
                        d.hidden(m.create(Arrays.copyOf(ids, batch), new Shape(batch, 1)), null, cache);
                        logits[kernel] = d.logits(d.hidden(m.create(Arrays.copyOfRange(ids, batch, 2 * batch), new Shape(batch, 1)), null, cache))
                                .toFloatArray();
                    } finally {
                        System.clearProperty(io.laem.engine.infer.cpu.FewRowMatmul.ENABLED_PROPERTY);
                    }
                }
                assertArrayEquals(logits[0], logits[1], 1e-5f, family + " batch " + batch);
            }
        }
    }

    /** After close the kernel's view of the weights is gone: a forward fails with an exception, not a crash. */
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
