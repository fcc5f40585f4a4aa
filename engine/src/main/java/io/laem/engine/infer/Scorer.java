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
    private final long backwardBytes;
    private int backwardPasses;

    public Scorer(Decoder decoder, HfTokenizer tokenizer) {
        this(decoder, tokenizer, BACKWARD_BYTES);
    }

    /** With another bound on a backward pass's activations (tests). */
    Scorer(Decoder decoder, HfTokenizer tokenizer, long backwardBytes) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.backwardBytes = backwardBytes;
    }

    /** Backward passes run so far (tests). */
    int backwardPasses() {
        return backwardPasses;
    }

    /**
     * Examples padded to one length: ids and mask [B, T], the flat positions {@code rows} whose next token is a completion
     * token {@code targets}, each row's example, and where each example's rows start ({@code firstRow}, B + 1 entries).
     */
    private record Batch(NDArray ids, NDArray mask, NDArray rows, NDArray targets, int[] exampleOfRow, int[] firstRow) {
        int size() {
            return firstRow.length - 1;
        }

        /** Examples {@code [from, to)} as views of this batch's arrays (rows renumbered), in the current NDScope. */
        Batch slice(int from, int to) {
            long len = ids.getShape().get(1);
            int r0 = firstRow[from];
            int r1 = firstRow[to];
            int[] first = new int[to - from + 1];
            for (int i = 0; i <= to - from; i++) {
                first[i] = firstRow[from + i] - r0;
            }
            String ex = from + ":" + to;
            String rs = r0 + ":" + r1;
            return new Batch(ids.get(ex), mask == null ? null : mask.get(ex), rows.get(rs).sub(from * len), targets.get(rs),
                    Arrays.copyOfRange(exampleOfRow, r0, r1), first);
        }
    }

    /**
     * Activations one backward pass may hold (about): a batch whose forward would keep more is differentiated in slices of
     * examples. Every intermediate of the PyTorch forward stays alive until its backward pass: about 24 floats per token,
     * layer and unit of {@code hidden + intermediate} size (measured: 7 GB for 640 tokens of a Qwen3-0.6B shape).
     */
    public static final long BACKWARD_BYTES = 2L << 30;

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
        int[] firstRow = new int[b + 1];
        for (int r = 0; r < b; r++) {
            firstRow[r] = rows.size();
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
        firstRow[b] = rows.size();
        NDArray idArr = m.create(ids, new Shape(b, maxLen));
        NDArray maskArr = padded ? m.create(mask, new Shape(b, maxLen)) : null;
        NDArray rowArr = m.create(rows.stream().mapToLong(Long::longValue).toArray());
        NDArray tgtArr = m.create(targets.stream().mapToLong(Long::longValue).toArray(), new Shape(targets.size(), 1));
        NDScope.unregister(idArr, rowArr, tgtArr);
        if (maskArr != null) {
            NDScope.unregister(maskArr);
        }
        return new Batch(idArr, maskArr, rowArr, tgtArr, owner.stream().mapToInt(Integer::intValue).toArray(), firstRow);
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
     * (e.g. LoRA factors), one backward pass per batch (per slice of its examples where a batch's activations would
     * pass {@link #BACKWARD_BYTES}).
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
        for (Batch whole : p.batches) {
            if (whole.exampleOfRow().length == 0) {
                continue;
            }
            int per = gc == null ? whole.size() : examplesPerBackward(whole);
            for (int from = 0; from < whole.size(); from += per) {
                int to = Math.min(whole.size(), from + per);
                if (whole.firstRow()[from] == whole.firstRow()[to]) {
                    continue;
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Batch b = from == 0 && to == whole.size() ? whole : whole.slice(from, to);
                    sum += meanTermOf(b, term, scale / total, gc);
                }
            }
        }
        return sum / total;
    }

    /** How many of a batch's examples one backward pass takes ({@link #BACKWARD_BYTES}). */
    private int examplesPerBackward(Batch b) {
        var c = decoder.config();
        long perToken = 24L * 4 * c.numLayers() * (c.hiddenSize() + c.intermediateSize());
        long tokens = Math.max(1, backwardBytes / perToken);
        return (int) Math.max(1, Math.min(b.size(), tokens / b.ids().getShape().get(1)));
    }

    /** The summed term of one batch's completion positions; with a collector, {@code scale} times its gradient is accumulated. */
    private double meanTermOf(Batch b, Term term, double scale, ai.djl.training.GradientCollector gc) {
        NDArray h = decoder.hidden(b.ids(), b.mask(), null);
        NDArray sel = Embedding.embedding(b.rows(), h.reshape(-1, h.getShape().get(2)), SparseFormat.DENSE).singletonOrThrow();
        NDArray logp = decoder.logits(sel).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).logSoftmax(-1);
        NDArray loss = switch (term) {
            case NLL, SEQUENCE -> logp.gather(b.targets(), 1).sum().neg();
            case ENTROPY -> logp.exp().mul(logp).sum().neg();
        };
        double value = loss.getFloat();
        if (gc != null) {
            gc.backward(loss.mul(scale));
            backwardPasses++;
        }
        return value;
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
