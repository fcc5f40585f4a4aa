package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the same cases (prompt ids, reference completion ids) in the engine (its decoder with whatever
 * its LoRA bank holds) and in llama.cpp (a GGUF model with GGUF LoRAs at scale 1), and compares the
 * greedy completions and the per-token log-probs of the references.
 */
record EngineVsLlamaCpp(Decoder decoder, HfTokenizer tokenizer) {
    /** What differed: greedy completions (count, first example) and the largest log-prob difference. */
    record Comparison(int cases, int greedyDiffer, String firstDiff, double maxLogprobError) {
        @Override
        public String toString() {
            return String.format("%d prompts, greedy differs on %d, max |log-prob difference| %.2e", cases, greedyDiffer, maxLogprobError);
        }
    }

    Comparison compare(Path model, List<Path> adapters, List<long[][]> cases) {
        JsonNode peer = peer(model, adapters, cases);
        double maxErr = 0;
        int differ = 0;
        String first = null;
        for (int i = 0; i < cases.size(); i++) {
            EngineRun run = engine(cases.get(i));
            long[] cpp = greedyOf(peer.get(i));
            if (!Arrays.equals(run.greedy(), cpp)) {
                differ++;
                if (first == null) {
                    first = "prompt " + Arrays.toString(cases.get(i)[0]) + ": engine " + Arrays.toString(run.greedy()) + ", llama.cpp " + Arrays.toString(cpp);
                }
            }
            JsonNode c = peer.get(i).get("logprobs");
            for (int j = 0; j < run.logprobs().length; j++) {
                maxErr = Math.max(maxErr, Math.abs(run.logprobs()[j] - c.get(j).asDouble()));
            }
        }
        return new Comparison(cases.size(), differ, first, maxErr);
    }

    /** How many greedy completions agree (for quantized models, where equality is reported, not required). */
    int greedyAgreement(Path model, List<long[][]> cases) {
        JsonNode peer = peer(model, List.of(), cases);
        int same = 0;
        for (int i = 0; i < cases.size(); i++) {
            same += Arrays.equals(engine(cases.get(i)).greedy(), greedyOf(peer.get(i))) ? 1 : 0;
        }
        return same;
    }

    JsonNode peer(Path model, List<Path> adapters, List<long[][]> cases) {
        ObjectNode req = Json.JSON.createObjectNode();
        req.put("model", model.toAbsolutePath().toString());
        ArrayNode ad = req.putArray("adapters");
        adapters.forEach(a -> ad.addObject().put("path", a.toAbsolutePath().toString()).put("scale", 1.0));
        req.put("contextSize", 64);
        ArrayNode arr = req.putArray("cases");
        for (long[][] c : cases) {
            ObjectNode o = arr.addObject();
            ArrayNode p = o.putArray("prompt");
            Arrays.stream(c[0]).forEach(p::add);
            ArrayNode comp = o.putArray("completion"); // also the path greedy decoding is checked along first
            Arrays.stream(c[1]).forEach(comp::add);
            o.put("greedy", maxNew(c));
            ArrayNode stop = o.putArray("stop");
            tokenizer.eosIds().forEach(stop::add);
        }
        JsonNode out = LlamaCppPeer.run(req).get("cases");
        assertEquals(cases.size(), out.size());
        return out;
    }

    static int maxNew(long[][] c) {
        return c[1].length + 2;
    }

    /** The engine's per-token log-probs of the reference completion, and its greedy completion. */
    record EngineRun(double[] logprobs, long[] greedy) {}

    /**
     * One forward over prompt + reference gives the log-probs and, while the argmax follows the
     * reference, the greedy tokens; after the first different token the generator goes on.
     */
    EngineRun engine(long[][] c) {
        long[] all = new long[c[0].length + c[1].length];
        System.arraycopy(c[0], 0, all, 0, c[0].length);
        System.arraycopy(c[1], 0, all, c[0].length, c[1].length);
        double[] lp = new double[c[1].length];
        long[] argmax = new long[c[1].length + 1];
        try (NDManager m = decoder.manager().newSubManager()) {
            NDArray logits = decoder.forward(m.create(all, new Shape(1, all.length)), null);
            float[] l = logits.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            int v = (int) logits.getShape().get(2);
            for (int j = 0; j <= c[1].length; j++) {
                int row = (c[0].length - 1 + j) * v;
                int best = 0;
                for (int k = 1; k < v; k++) {
                    best = l[row + k] > l[row + best] ? k : best;
                }
                argmax[j] = best;
                if (j < c[1].length) {
                    double sum = 0;
                    for (int k = 0; k < v; k++) {
                        sum += Math.exp(l[row + k] - l[row + best]);
                    }
                    lp[j] = l[row + (int) c[1][j]] - l[row + best] - Math.log(sum);
                }
            }
        }
        int max = maxNew(c);
        List<Long> gen = new ArrayList<>();
        for (int j = 0; j <= c[1].length && gen.size() < max; j++) {
            if (tokenizer.eosIds().contains(argmax[j])) {
                return new EngineRun(lp, toArray(gen));
            }
            gen.add(argmax[j]);
            if (j == c[1].length || argmax[j] != c[1][j]) {
                break; // off the reference (or past it): generate the rest
            }
        }
        if (gen.size() < max) {
            long[] prefix = new long[c[0].length + gen.size()];
            System.arraycopy(c[0], 0, prefix, 0, c[0].length);
            for (int i = 0; i < gen.size(); i++) {
                prefix[c[0].length + i] = gen.get(i);
            }
            for (long t : new Generator(decoder, tokenizer).generate(prefix, Generator.Options.greedy(max - gen.size()), null, null).tokens()) {
                gen.add(t);
            }
        }
        return new EngineRun(lp, toArray(gen));
    }

    /** llama.cpp's greedy tokens without the end-of-sequence token the engine does not return. */
    long[] greedyOf(JsonNode c) {
        List<Long> ids = new ArrayList<>();
        c.get("greedy").forEach(x -> ids.add(x.asLong()));
        if (!ids.isEmpty() && tokenizer.eosIds().contains(ids.getLast())) {
            ids.removeLast();
        }
        return toArray(ids);
    }

    static long[] toArray(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).toArray();
    }
}
