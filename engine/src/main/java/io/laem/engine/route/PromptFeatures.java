package io.laem.engine.route;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.LoraBank;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routing features: the base model's final hidden states, mean-pooled over the prompt's tokens.
 * Computed with every bank coefficient at zero (the experts must not influence their own
 * selection); the bank is restored afterwards.
 */
public final class PromptFeatures {
    private static final int BATCH = 32;

    private PromptFeatures() {}

    public static float[][] compute(Decoder decoder, HfTokenizer tokenizer, List<String> prompts, CancellationToken cancel) {
        Map<String, double[]> saved = snapshot(decoder);
        decoder.bank().zeroAll();
        try {
            List<float[]> out = new ArrayList<>();
            for (int from = 0; from < prompts.size(); from += BATCH) {
                cancel.check();
                out.addAll(batch(decoder, tokenizer, prompts.subList(from, Math.min(prompts.size(), from + BATCH))));
            }
            return out.toArray(float[][]::new);
        } finally {
            restore(decoder, saved);
        }
    }

    private static List<float[]> batch(Decoder decoder, HfTokenizer tokenizer, List<String> prompts) {
        List<long[]> ids = prompts.stream().map(tokenizer::encode).toList();
        int b = ids.size();
        int t = ids.stream().mapToInt(x -> x.length).max().orElse(1);
        long[] flat = new long[b * t];
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            long[] p = ids.get(i);
            System.arraycopy(p, 0, flat, i * t, p.length);
            java.util.Arrays.fill(mask, i * t, i * t + p.length, 1f);
        }
        NDManager nd = decoder.manager();
        try (NDScope ignored = new NDScope()) {
            NDArray m = nd.create(mask, new Shape(b, t));
            NDArray h = decoder.hidden(nd.create(flat, new Shape(b, t)), m, null).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            NDArray pooled = h.mul(m.expandDims(-1)).sum(new int[] {1}).div(m.sum(new int[] {1}, true));
            float[] v = pooled.toFloatArray();
            int hdim = (int) pooled.getShape().get(1);
            List<float[]> rows = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                rows.add(java.util.Arrays.copyOfRange(v, i * hdim, (i + 1) * hdim));
            }
            return rows;
        }
    }

    /** Every coefficient of every bank entry, to restore after a temporary change. */
    static Map<String, double[]> snapshot(Decoder decoder) {
        LoraBank bank = decoder.bank();
        List<ModuleKey> keys = ArchitectureTemplate.allModules(decoder.config());
        Map<String, double[]> s = new HashMap<>();
        for (String name : bank.names()) {
            s.put(name, keys.stream().mapToDouble(k -> bank.coefficient(name, k)).toArray());
        }
        return s;
    }

    static void restore(Decoder decoder, Map<String, double[]> saved) {
        List<ModuleKey> keys = ArchitectureTemplate.allModules(decoder.config());
        saved.forEach((name, c) -> {
            for (int i = 0; i < keys.size(); i++) {
                decoder.bank().setCoefficient(name, keys.get(i), c[i]);
            }
        });
    }
}
