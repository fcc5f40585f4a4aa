package io.laem.engine.eval;

import io.laem.engine.infer.Scorer.Example;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * A right-padded batch for next-token losses: {@code inputs} [B, T] = prompt + completion without
 * its last token, {@code targets} [B, T] = the same shifted left by one, {@code mask} [B, T] = 1
 * where the target counts (the completion tokens, or every real token when {@code wholeSequence}).
 * Right padding needs no attention mask: in a causal model no real token sees the padding after it.
 */
public record TokenBatch(long[] inputs, long[] targets, float[] mask, int batch, int length) {

    public static TokenBatch of(List<EncodedExample> examples, long padId, boolean wholeSequence) {
        int b = examples.size();
        int t = 1;
        for (EncodedExample e : examples) {
            t = Math.max(t, e.length() - 1);
        }
        long[] in = new long[b * t];
        long[] tg = new long[b * t];
        float[] m = new float[b * t];
        Arrays.fill(in, padId);
        Arrays.fill(tg, padId);
        for (int i = 0; i < b; i++) {
            EncodedExample e = examples.get(i);
            long[] s = Arrays.copyOf(e.prompt(), e.length());
            System.arraycopy(e.completion(), 0, s, e.prompt().length, e.completion().length);
            for (int j = 0; j < s.length - 1; j++) {
                in[i * t + j] = s[j];
                tg[i * t + j] = s[j + 1];
                // target s[j + 1] belongs to the completion when j + 1 >= prompt length
                m[i * t + j] = wholeSequence || j + 1 >= e.prompt().length ? 1f : 0f;
            }
        }
        return new TokenBatch(in, tg, m, b, t);
    }

    /** The same batch with no loss on rows {@code from} and after (they still run through the model). */
    public TokenBatch withoutLossFrom(int from) {
        float[] m = mask.clone();
        java.util.Arrays.fill(m, Math.min(m.length, from * length), m.length, 0f);
        return new TokenBatch(inputs, targets, m, batch, length);
    }

    public NDArray inputs(NDManager nd) {
        return nd.create(inputs, new Shape(batch, length));
    }

    public NDArray targets(NDManager nd) {
        return nd.create(targets, new Shape(batch, length));
    }

    public NDArray mask(NDManager nd) {
        return nd.create(mask, new Shape(batch, length));
    }

    /** Masked NLL per target [B, T] (zero where masked): {@code -log p(target)}. */
    public static NDArray tokenNll(NDArray logits, NDArray targets, NDArray mask) {
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.mul(targets.oneHot((int) logits.getShape().get(2))).sum(new int[] {-1});
        return picked.mul(mask).neg();
    }

    /** Mean NLL over the counted targets: the training loss. */
    public static NDArray meanNll(NDArray logits, NDArray targets, NDArray mask) {
        return tokenNll(logits, targets, mask).sum().div(mask.sum());
    }
}
