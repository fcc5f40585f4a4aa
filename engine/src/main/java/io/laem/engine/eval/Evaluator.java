package io.laem.engine.eval;

import io.laem.engine.infer.Scorer.Example;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.KvCache;
import io.laem.engine.infer.Scorer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a loaded model on task examples with whatever its LoRA bank's coefficients are now: so
 * callers (the CLI, the optimizer, the workbench) set the coefficients, then call in, without
 * reloading anything. Exact match compares the greedy completion with the reference followed by the
 * end-of-sequence token (the model must also stop); generation is batched (left padding, one KV
 * cache for the batch), which the one-sequence {@code Generator} is not. Mean NLL is {@link Scorer}'s:
 * nats per completion token, the end-of-sequence token not counted. One call at a time.
 */
public final class Evaluator {
    public static final int DEFAULT_BATCH = 32;

    private final Decoder decoder;
    private final HfTokenizer tokenizer;
    private final int batchSize;
    private final long eos;
    private final Scorer scorer;

    public Evaluator(Decoder decoder, HfTokenizer tokenizer) {
        this(decoder, tokenizer, DEFAULT_BATCH);
    }

    public Evaluator(Decoder decoder, HfTokenizer tokenizer, int batchSize) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.eos = EncodedExample.eos(tokenizer);
        this.scorer = new Scorer(decoder, tokenizer);
    }

    /** Exact match and mean NLL of every task. */
    public EvalReport evaluate(Map<String, List<Example>> tasks) {
        Map<String, TaskScore> out = new LinkedHashMap<>();
        tasks.forEach((name, ex) -> out.put(name, score(ex)));
        return new EvalReport(out);
    }

    /** Mean NLL per completion token of every task, as {@link Scorer} computes it (no generation: cheap). */
    public Map<String, Double> meanNll(Map<String, List<Example>> tasks) {
        Map<String, Double> out = new LinkedHashMap<>();
        tasks.forEach((name, ex) -> out.put(name, scorer.score(ex).meanNll()));
        return out;
    }

    public TaskScore score(List<Example> examples) {
        return new TaskScore(exactMatch(examples), scorer.score(examples).meanNll(), examples.size());
    }

    /** The fraction of examples whose greedy completion is the reference followed by end of sequence. */
    public double exactMatch(List<Example> examples) {
        List<EncodedExample> enc = EncodedExample.of(tokenizer, examples);
        int correct = 0;
        for (int from = 0; from < enc.size(); from += batchSize) {
            List<EncodedExample> batch = enc.subList(from, Math.min(enc.size(), from + batchSize));
            int maxNew = batch.stream().mapToInt(e -> e.completion().length).max().orElse(1) + 1;
            List<long[]> gen = greedy(batch.stream().map(EncodedExample::prompt).toList(), maxNew);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).matches(gen.get(i))) {
                    correct++;
                }
            }
        }
        return correct / (double) enc.size();
    }

    /**
     * Greedy continuations of token prompts, batched with left padding and a KV cache; each result
     * ends with the end-of-sequence token when the model produced one within {@code maxNew} tokens.
     */
    public List<long[]> greedy(List<long[]> prompts, int maxNew) {
        int b = prompts.size();
        int t = prompts.stream().mapToInt(p -> p.length).max().orElse(1);
        long[] ids = new long[b * t];
        float[] mask = new float[b * t];
        Arrays.fill(ids, tokenizer.padId());
        for (int i = 0; i < b; i++) {
            long[] p = prompts.get(i);
            int off = i * t + t - p.length;
            System.arraycopy(p, 0, ids, off, p.length);
            Arrays.fill(mask, off, off + p.length, 1f);
        }
        List<List<Long>> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        NDManager nd = decoder.manager();
        try (KvCache cache = decoder.newCache()) {
            NDArray next = null;
            for (int step = 0; step < maxNew; step++) {
                long[] chosen;
                try (NDScope scope = new NDScope()) {
                    NDArray h = step == 0
                            ? decoder.hidden(nd.create(ids, new Shape(b, t)), nd.create(mask, new Shape(b, t)), cache)
                            : decoder.hidden(next, null, cache);
                    NDArray last = h.get(":, -1, :");
                    chosen = decoder.greedyNext(last);
                }
                boolean all = true;
                for (int i = 0; i < b; i++) {
                    if (!done[i]) {
                        out.get(i).add(chosen[i]);
                        done[i] = chosen[i] == eos || tokenizer.eosIds().contains(chosen[i]);
                    }
                    all &= done[i];
                }
                if (next != null) {
                    next.close();
                }
                if (all) {
                    next = null;
                    break;
                }
                next = nd.create(chosen, new Shape(b, 1));
            }
            if (next != null) {
                next.close();
            }
        }
        List<long[]> res = new ArrayList<>(b);
        for (List<Long> l : out) {
            res.add(l.stream().mapToLong(Long::longValue).toArray());
        }
        return res;
    }

    /** The text of a generated completion (special tokens dropped). */
    public String text(long[] generated) {
        return tokenizer.decode(generated, true);
    }
}
