package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The forward works inside a GradientCollector: gradients reach base weights and trainable bank factors. */
class DecoderTrainingTest {
    @Test
    void gradientsReachWeightsAndLoraFactors() {
        try (NDManager m = NDManager.newBaseManager(); HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen2"))) {
            Map<String, NDArray> params = new HashMap<>();
            for (String n : hf.weights().names()) {
                NDArray a = m.create(hf.weights().floats(n), new Shape(hf.weights().info(n).shape()));
                a.setRequiresGradient(true);
                params.put(n, a);
            }
            try (Decoder d = Decoder.fromArrays(hf.config(), m, params)) {
                ModuleKey key = new ModuleKey(1, ModuleKind.V_PROJ);
                NDArray a = m.randomNormal(new Shape(2, 32)).mul(0.1);
                NDArray b = m.zeros(new Shape(16, 2)); // PEFT init: B = 0, so only B gets a gradient at first
                a.setRequiresGradient(true);
                b.setRequiresGradient(true);
                d.bank().addArrays("train", Map.of(key, new LoraBank.Factors(a, b, 2.0)));
                d.bank().setAll("train", 1.0);
                long[] ids = GoldenSupport.ids();
                float[] before;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = d.forward(m.create(ids, new Shape(1, ids.length)), null);
                    before = logits.toFloatArray();
                    NDArray loss = logits.logSoftmax(-1).get(":, :, 5").mean().neg();
                    gc.backward(loss);
                }
                assertTrue(params.get("model.layers.0.mlp.down_proj.weight").getGradient().abs().sum().getFloat() > 0);
                assertTrue(params.get("model.embed_tokens.weight").getGradient().abs().sum().getFloat() > 0);
                assertTrue(b.getGradient().abs().sum().getFloat() > 0);
                // a step on B changes the output on the next call (the bank does not cache trainable factors)
                b.subi(b.getGradient().mul(10));
                float[] after = d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
                assertTrue(!java.util.Arrays.equals(before, after));
                d.bank().setAll("train", 0);
                try (Decoder base = DecoderGoldenTest.open("qwen2")) {
                    assertArrayEquals(base.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray(),
                            d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray(), 1e-6f);
                }
            }
        }
    }

    @Test
    void cacheGivesTheSameLogitsAsTheFullSequence() {
        try (Decoder d = DecoderGoldenTest.open("llama"); NDManager m = d.manager().newSubManager(); KvCache cache = d.newCache()) {
            long[] ids = GoldenSupport.ids();
            int v = d.config().vocabSize();
            float[] full = d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            // prefill 4 tokens, then one at a time
            NDArray h = d.hidden(m.create(java.util.Arrays.copyOf(ids, 4), new Shape(1, 4)), null, cache);
            float[] first = d.logits(h).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOf(full, 4 * v), first, 1e-5f);
            for (int t = 4; t < ids.length; t++) {
                float[] step = d.logits(d.hidden(m.create(new long[] {ids[t]}, new Shape(1, 1)), null, cache)).toFloatArray();
                assertArrayEquals(java.util.Arrays.copyOfRange(full, t * v, (t + 1) * v), step, 1e-5f);
            }
        }
    }
}
