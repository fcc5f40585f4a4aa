package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.laem.engine.model.HfModel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A batch whose backward pass would hold too many activations is differentiated in slices of its examples: the same
 * mean term and the same gradient as one pass over the batch.
 */
class BackwardSlicesTest {
    private static final List<String> WATCHED = List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
            "model.layers.1.mlp.down_proj.weight", "model.norm.weight");

    private record Run(double term, Map<String, float[]> gradient, int passes) {}

    /** The NLL term and its gradient with respect to fresh copies of the weights, with {@code backwardBytes} per pass. */
    private static Run run(HfModel hf, long[][] seqs, int[] promptLen, long backwardBytes) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new HashMap<>();
            for (String n : hf.weights().names()) {
                NDArray a = m.create(hf.weights().floats(n), new Shape(hf.weights().info(n).shape()));
                a.setRequiresGradient(true);
                params.put(n, a);
            }
            try (Decoder d = Decoder.fromArrays(hf.config(), m, params); Scorer.Prepared p = Scorer.prepareTokens(d, seqs, promptLen, 0)) {
                Scorer scorer = new Scorer(d, null, backwardBytes);
                double term;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    term = scorer.meanTerm(p, Scorer.Term.NLL, 1.0, gc);
                }
                Map<String, float[]> g = new HashMap<>();
                for (String n : WATCHED) {
                    g.put(n, params.get(n).getGradient().toFloatArray());
                }
                return new Run(term, g, scorer.backwardPasses());
            }
        }
    }

    @Test
    void slicedBackwardPassesGiveTheSameTermAndGradient() {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen2"))) {
            SplittableRandom rnd = new SplittableRandom(3);
            int n = 5;
            long[][] seqs = new long[n][];
            int[] promptLen = new int[n];
            for (int i = 0; i < n; i++) {
                seqs[i] = rnd.longs(6 + 2 * i, 1, hf.config().vocabSize()).toArray();
                promptLen[i] = 2 + i % 3;
            }
            Run whole = run(hf, seqs, promptLen, 1L << 30);
            Run sliced = run(hf, seqs, promptLen, 1);
            assertEquals(1, whole.passes(), "the tiny model's batch fits one pass");
            assertEquals(n, sliced.passes(), "one example per pass");
            assertEquals(whole.term(), sliced.term(), 1e-6);
            for (String name : WATCHED) {
                float[] a = whole.gradient().get(name);
                float[] b = sliced.gradient().get(name);
                double max = 0;
                for (float v : a) {
                    max = Math.max(max, Math.abs(v));
                }
                assertTrue(max > 0, name + ": a gradient that is not zero");
                assertArrayEquals(a, b, (float) (1e-5 * max), name);
            }
        }
    }
}
