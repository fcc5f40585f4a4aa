package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.HfModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The float16 path (for GPUs), run on the CPU: close to float32, generation and scoring work; bfloat16 is refused. */
class HalfPrecisionTest {
    @Test
    void float16FollowsFloat32() {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen3"));
             Decoder f32 = Decoder.load(hf); Decoder f16 = Decoder.load(hf, Device.cpu(), DataType.FLOAT16);
             HfTokenizer tok = HfTokenizer.load(hf); NDManager m = NDManager.newBaseManager()) {
            for (Decoder d : List.of(f32, f16)) {
                d.bank().add("a", LoraAdapter.load(GoldenSupport.FIXTURES.resolve("qwen3/adapter_a")).modules().values());
                d.bank().setAll("a", 0.7);
            }
            long[] ids = GoldenSupport.ids();
            float[] a = f32.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            float[] b = f16.forward(m.create(ids, new Shape(1, ids.length)), null).toType(DataType.FLOAT32, false).toFloatArray();
            // float16 keeps 11 significant bits (relative rounding 2^-11 ~ 4.9e-4 per operation); through
            // a few layers the logits of this fixture (max |logit| 0.4) differ by 1.7% of the largest; 2.5% leaves
            // room for other CPUs' kernels. The sharper checks: every position picks the same token as float32
            double maxRef = 0;
            double maxErr = 0;
            int vocab = a.length / ids.length;
            for (int i = 0; i < a.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(a[i]));
                maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
            }
            System.out.println("float16 max logit error " + maxErr + " of max |logit| " + maxRef);
            assertTrue(maxErr < 0.025 * maxRef, maxErr + " vs " + maxRef);
            for (int pos = 0; pos < ids.length; pos++) {
                assertEquals(argmax(a, pos * vocab, vocab), argmax(b, pos * vocab, vocab), "greedy token at position " + pos);
            }
            // the same greedy continuation, token for token, and the same stop reason
            Generator.Result r16 = new Generator(f16, tok).generate("hi", Generator.Options.greedy(4), null, null);
            Generator.Result r32 = new Generator(f32, tok).generate("hi", Generator.Options.greedy(4), null, null);
            org.junit.jupiter.api.Assertions.assertArrayEquals(r32.tokens(), r16.tokens());
            assertEquals(r32.reason(), r16.reason());
            List<Scorer.Example> ex = List.of(new Scorer.Example("the cat", " sat."));
            double nll32 = new Scorer(f32, tok).score(ex).meanNll();
            double nllHalf = new Scorer(f16, tok).score(ex).meanNll();
            System.out.println("float16 NLL " + nllHalf + " float32 " + nll32);
            assertEquals(nll32, nllHalf, 1e-3 * nll32); // measured 3e-5 relative
            io.laem.engine.LaemException e = org.junit.jupiter.api.Assertions.assertThrows(io.laem.engine.LaemException.class,
                    () -> Decoder.load(hf, Device.cpu(), DataType.BFLOAT16));
            assertTrue(e.getMessage().contains("supported: float32, float16"), e.getMessage());
        }
    }

    private static int argmax(float[] x, int from, int n) {
        int best = from;
        for (int i = from; i < from + n; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best - from;
    }
}
