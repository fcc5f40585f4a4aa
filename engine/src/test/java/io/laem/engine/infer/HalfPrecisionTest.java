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
            double maxRef = 0;
            double maxErr = 0;
            for (int i = 0; i < a.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(a[i]));
                maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
            }
            assertTrue(maxErr < 0.05 * maxRef, maxErr + " vs " + maxRef);
            Generator.Result r = new Generator(f16, tok).generate("hi", Generator.Options.greedy(4), null, null);
            assertTrue(r.tokens().length > 0 || r.reason() == Generator.StopReason.EOS);
            List<Scorer.Example> ex = List.of(new Scorer.Example("the cat", " sat."));
            double nll32 = new Scorer(f32, tok).score(ex).meanNll();
            double nllHalf = new Scorer(f16, tok).score(ex).meanNll();
            assertEquals(nll32, nllHalf, 0.05 * nll32);
            io.laem.engine.LaemException e = org.junit.jupiter.api.Assertions.assertThrows(io.laem.engine.LaemException.class,
                    () -> Decoder.load(hf, Device.cpu(), DataType.BFLOAT16));
            assertTrue(e.getMessage().contains("supported: float32, float16"), e.getMessage());
        }
    }
}
