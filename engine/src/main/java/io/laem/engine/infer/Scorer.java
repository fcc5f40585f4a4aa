package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Negative log-likelihood of completions given prompts, batched. The completion's tokens are those
 * of {@code encode(prompt + completion)} after the first {@code len(encode(prompt))} tokens. Examples
 * are tokenized once into a {@link Prepared} set (sorted by length, right-padded, index tensors
 * built once) that can be scored many times while the LoRA bank's coefficients change (the
 * optimizer's loop); only rows at completion positions go through the LM head.
 */
public final class Scorer {
    public record Example(String prompt, String completion) {}

    public record ExampleScore(double nll, int tokens) {}

    /** Per example (input order) summed NLL and token count; mean NLL per token; perplexity exp(mean). */
    public record Result(List<ExampleScore> examples, double meanNll, double perplexity) {}

    private static final int MAX_BATCH = 16;
    private static final int TOKEN_BUDGET = 4096;

    private final Decoder decoder;
    private final HfTokenizer tokenizer;

    public Scorer(Decoder decoder, HfTokenizer tokenizer) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
    }

    private record Batch(NDArray ids, NDArray mask, NDArray rows, NDArray targets, int[] exampleOfRow) {}

    /** Tokenized, batched examples held as device tensors; close when done. */
    public static final class Prepared implements AutoCloseable {
        private final NDManager manager;
        private final List<Batch> batches;
        private final int[] tokens;

        private Prepared(NDManager manager, List<Batch> batches, int[] tokens) {
            this.manager = manager;
            this.batches = batches;
            this.tokens = tokens;
        }

        public int size() {
            return tokens.length;
        }

        /** Completion tokens of each example, input order. */
        public int[] tokens() {
            return tokens.clone();
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    public Result score(List<Example> examples) {
        try (Prepared p = prepare(examples)) {
            return score(p);
        }
    }

    public Prepared prepare(List<Example> examples) {
        if (examples.isEmpty()) {
            throw new LaemException("no examples to score");
        }
        int context = decoder.config().maxPositionEmbeddings();
        int n = examples.size();
        long[][] full = new long[n][];
        int[] promptLen = new int[n];
        for (int i = 0; i < n; i++) {
            Example e = examples.get(i);
            promptLen[i] = tokenizer.encode(e.prompt()).length;
            full[i] = tokenizer.encode(e.prompt() + e.completion());
            if (full[i].length > context) {
                throw new LaemException("example " + (i + 1) + " has " + full[i].length + " tokens but the model's context is "
                        + context + " tokens");
            }
        }
        return prepareTokens(decoder, full, promptLen, tokenizer.padId());
    }

    /**
     * Token sequences ({@code full[i]}, whose completion starts at {@code promptLen[i]}) batched as {@link #prepare}
     * does: for callers that hold ids, not text (benchmarks).
     */
    public static Prepared prepareTokens(Decoder decoder, long[][] full, int[] promptLen, long padId) {
        int n = full.length;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = Math.max(0, full[i].length - Math.max(promptLen[i], 1));
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> full[i].length).reversed());
        NDManager m = decoder.manager().newSubManager();
        List<Batch> batches = new ArrayList<>();
        try {
            int start = 0;
            while (start < n) {
                int maxLen = Math.max(1, full[order[start]].length);
                int end = start + 1;
                while (end < n && end - start < MAX_BATCH && (long) (end - start + 1) * maxLen <= TOKEN_BUDGET) {
                    end++;
                }
                batches.add(batch(m, Arrays.copyOfRange(order, start, end), full, promptLen, maxLen, padId));
                start = end;
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new Prepared(m, batches, tokens);
    }

    private static Batch batch(NDManager m, Integer[] members, long[][] full, int[] promptLen, int maxLen, long padId) {
        int b = members.length;
        long[] ids = new long[b * maxLen];
        float[] mask = new float[b * maxLen];
        Arrays.fill(ids, padId);
        boolean padded = false;
        List<Long> rows = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            long[] seq = full[members[r]];
            padded |= seq.length != maxLen;
            for (int t = 0; t < seq.length; t++) {
                ids[r * maxLen + t] = seq[t];
                mask[r * maxLen + t] = 1;
            }
            // position t predicts token t + 1; completion tokens start at the prompt's length
            for (int t = Math.max(promptLen[members[r]], 1); t < seq.length; t++) {
                rows.add((long) r * maxLen + t - 1);
                targets.add(seq[t]);
                owner.add(members[r]);
            }
        }
        NDArray idArr = m.create(ids, new Shape(b, maxLen));
        NDArray maskArr = padded ? m.create(mask, new Shape(b, maxLen)) : null;
        NDArray rowArr = m.create(rows.stream().mapToLong(Long::longValue).toArray());
        NDArray tgtArr = m.create(targets.stream().mapToLong(Long::longValue).toArray(), new Shape(targets.size(), 1));
        NDScope.unregister(idArr, rowArr, tgtArr);
        if (maskArr != null) {
            NDScope.unregister(maskArr);
        }
        return new Batch(idArr, maskArr, rowArr, tgtArr, owner.stream().mapToInt(Integer::intValue).toArray());
    }

    /** What {@link #meanTerm} averages over completion positions. */
    public enum Term {
        /** The completion token's negative log-likelihood (the same as {@link #score}'s mean). */
        NLL,
        /** The entropy of the next-token distribution (AdaMerging's objective: needs no target token). */
        ENTROPY,
        /**
         * The completion's summed NLL, {@code -log P(completion)}, averaged over examples instead of
         * tokens: every example's decisions weigh the same however many predictable tokens surround them.
         */
        SEQUENCE
    }

    /**
     * The mean of {@code term} per completion position (per example for {@link Term#SEQUENCE}) of a prepared set, with the bank's current
     * coefficients. With a gradient collector (the forward then runs in PyTorch with autograd),
     * {@code scale} times the mean's gradient is accumulated into every array that requires one
     * (e.g. LoRA factors), one backward pass per batch.
     */
    public double meanTerm(Prepared p, Term term, double scale, ai.djl.training.GradientCollector gc) {
        long total = 0;
        for (int t : p.tokens) {
            total += term == Term.SEQUENCE ? 1 : t;
        }
        if (total == 0) {
            return 0;
        }
        double sum = 0;
        for (Batch b : p.batches) {
            if (b.exampleOfRow().length == 0) {
                continue;
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray h = decoder.hidden(b.ids(), b.mask(), null);
                NDArray sel = Embedding.embedding(b.rows(), h.reshape(-1, h.getShape().get(2)), SparseFormat.DENSE).singletonOrThrow();
                NDArray logp = decoder.logits(sel).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).logSoftmax(-1);
                NDArray loss = switch (term) {
                    case NLL, SEQUENCE -> logp.gather(b.targets(), 1).sum().neg();
                    case ENTROPY -> logp.exp().mul(logp).sum().neg();
                };
                sum += loss.getFloat();
                if (gc != null) {
                    gc.backward(loss.mul(scale / total));
                }
            }
        }
        return sum / total;
    }

    /** Scores a prepared set with the bank's current coefficients. */
    public Result score(Prepared p) {
        double[] nll = new double[p.tokens.length];
        for (Batch b : p.batches) {
            int rowsTotal = b.exampleOfRow().length;
            if (rowsTotal == 0) {
                continue;
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray h = decoder.hidden(b.ids(), b.mask(), null);
                NDArray flat = h.reshape(-1, h.getShape().get(2));
                NDArray sel = Embedding.embedding(b.rows(), flat, SparseFormat.DENSE).singletonOrThrow();
                float[] picked = decoder.targetLogProbs(sel, b.targets().toLongArray());
                for (int i = 0; i < picked.length; i++) {
                    nll[b.exampleOfRow()[i]] -= picked[i];
                }
            }
        }
        List<ExampleScore> out = new ArrayList<>();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < nll.length; i++) {
            out.add(new ExampleScore(nll[i], p.tokens[i]));
            sum += nll[i];
            count += p.tokens[i];
        }
        double mean = count == 0 ? 0 : sum / count;
        return new Result(out, mean, Math.exp(mean));
    }
}
