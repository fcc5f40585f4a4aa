package io.laem.engine.eval;

import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.infer.HfTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * An example as token ids: {@code prompt} as the tokenizer encodes it alone (with its special
 * tokens, e.g. {@code <s>}), {@code completion} without special tokens and followed by the end of
 * sequence token, which the model must predict too.
 */
public record EncodedExample(long[] prompt, long[] completion) {
    public static EncodedExample of(HfTokenizer tok, Example e) {
        long[] p = tok.encode(e.prompt(), true);
        long[] c = tok.encode(e.completion(), false);
        long[] ce = java.util.Arrays.copyOf(c, c.length + 1);
        ce[c.length] = eos(tok);
        return new EncodedExample(p, ce);
    }

    public static List<EncodedExample> of(HfTokenizer tok, List<Example> examples) {
        List<EncodedExample> out = new ArrayList<>(examples.size());
        for (Example e : examples) {
            out.add(of(tok, e));
        }
        return out;
    }

    public static long eos(HfTokenizer tok) {
        if (tok.eosIds().isEmpty()) {
            throw new io.laem.engine.LaemException(tok.file() + ": the tokenizer has no end-of-sequence token");
        }
        return tok.eosIds().iterator().next();
    }

    /**
     * Exact match, the one rule for it: the greedy tokens (with the end-of-sequence token that ended them)
     * are the completion followed by end of sequence, so the model must also stop.
     */
    public boolean matches(long[] generated) {
        return java.util.Arrays.equals(generated, completion);
    }

    public int length() {
        return prompt.length + completion.length;
    }
}
