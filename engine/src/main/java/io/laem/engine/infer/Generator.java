package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Autoregressive generation with a KV cache: prefill the prompt once, then one token per step;
 * stops on an eos id, a stop string, max tokens, the model's context, or cancellation. Text is
 * streamed as it becomes final (held back while it could still be the start of a stop string or an
 * incomplete character).
 */
public final class Generator {
    /** Generation settings; temperature 0 is greedy. topK 0 and topP 1 disable those filters. */
    public record Options(int maxTokens, double temperature, double topP, int topK, long seed, List<String> stopStrings) {
        public Options {
            Sampler.check(temperature, topK, topP); // refused when the options are made, before any model is loaded
        }

        public static Options greedy(int maxTokens) {
            return new Options(maxTokens, 0, 1, 0, 0, List.of());
        }

        public Options withStopStrings(List<String> s) {
            return new Options(maxTokens, temperature, topP, topK, seed, List.copyOf(s));
        }
    }

    public enum StopReason { EOS, STOP_STRING, MAX_TOKENS, CONTEXT, CANCELLED }

    /** Receives each generated token and the text that became final with it (may be empty). */
    @FunctionalInterface
    public interface Listener {
        void onToken(long id, String text);
    }

    /**
     * The generated tokens (eos excluded), their text (cut before a stop string), timings, and the
     * end-of-sequence token that ended it ({@code eosToken}, -1 unless {@code reason} is EOS).
     */
    public record Result(long[] tokens, String text, StopReason reason, int promptTokens, double prefillSeconds, double decodeSeconds,
            long eosToken) {
        /** The tokens with the end-of-sequence token that ended them, as {@code Evaluator} compares greedy output. */
        public long[] tokensWithEos() {
            if (reason != StopReason.EOS) {
                return tokens;
            }
            long[] t = java.util.Arrays.copyOf(tokens, tokens.length + 1);
            t[tokens.length] = eosToken;
            return t;
        }
    }

    private final Decoder decoder;
    private final HfTokenizer tokenizer;

    public Generator(Decoder decoder, HfTokenizer tokenizer) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
    }

    public Result generate(String prompt, Options o, Listener listener, BooleanSupplier cancelled) {
        return generate(tokenizer.encode(prompt), o, listener, cancelled);
    }

    public Result generate(long[] prompt, Options o, Listener listener, BooleanSupplier cancelled) {
        int context = decoder.config().maxPositionEmbeddings();
        if (prompt.length == 0) {
            throw new LaemException("the prompt is empty (no tokens)");
        }
        if (prompt.length >= context) {
            throw new LaemException("the prompt has " + prompt.length + " tokens but the model's context is " + context + " tokens");
        }
        if (o.maxTokens() < 1) {
            throw new LaemException("max tokens must be at least 1, got " + o.maxTokens());
        }
        Sampler sampler = new Sampler(o.temperature(), o.topK(), o.topP(), o.seed());
        List<Long> out = new ArrayList<>();
        StopReason reason = StopReason.MAX_TOKENS;
        long eosToken = -1;
        int emitted = 0;
        String text = "";
        long t0 = System.nanoTime();
        long t1 = t0;
        try (KvCache cache = decoder.newCache()) {
            long[] input = prompt;
            while (true) {
                if (cancelled != null && cancelled.getAsBoolean()) {
                    reason = StopReason.CANCELLED;
                    break;
                }
                float[] logits;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray ids = decoder.manager().create(input, new Shape(1, input.length));
                    NDArray h = decoder.hidden(ids, null, cache).get(":, -1:, :");
                    logits = decoder.logitsFloats(h);
                }
                if (out.isEmpty()) {
                    t1 = System.nanoTime();
                }
                long next = sampler.next(logits);
                if (tokenizer.eosIds().contains(next)) {
                    reason = StopReason.EOS;
                    eosToken = next;
                    break;
                }
                out.add(next);
                text = tokenizer.decode(toArray(out), true);
                int stopAt = firstStop(text, o.stopStrings());
                if (stopAt >= 0) {
                    text = text.substring(0, stopAt);
                    emit(listener, next, text, emitted, text.length());
                    emitted = text.length();
                    reason = StopReason.STOP_STRING;
                    break;
                }
                int safe = safeLength(text, o.stopStrings());
                emit(listener, next, text, emitted, safe);
                emitted = Math.max(emitted, safe);
                if (out.size() >= o.maxTokens()) {
                    reason = StopReason.MAX_TOKENS;
                    break;
                }
                if (cache.length() + 1 >= context) {
                    reason = StopReason.CONTEXT;
                    break;
                }
                input = new long[] {next};
            }
        }
        if (emitted < text.length() && listener != null) {
            listener.onToken(-1, text.substring(emitted));
        }
        long t2 = System.nanoTime();
        return new Result(toArray(out), text, reason, prompt.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9, eosToken);
    }

    private static void emit(Listener l, long id, String text, int from, int to) {
        if (l != null) {
            l.onToken(id, to > from ? text.substring(from, to) : "");
        }
    }

    private static int firstStop(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int i = s.isEmpty() ? -1 : text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Length of the text that can no longer change: not an incomplete character, not a stop string's start. */
    static int safeLength(String text, List<String> stops) {
        int safe = text.length();
        while (safe > 0 && text.charAt(safe - 1) == '\uFFFD') {
            safe--;
        }
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    safe = Math.min(safe, text.length() - k);
                    break;
                }
            }
        }
        return safe;
    }

    private static long[] toArray(List<Long> l) {
        long[] a = new long[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}
