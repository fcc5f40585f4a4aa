package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.model.HfModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateAndScoreTest {
    static HfTokenizer tokenizer(String family) {
        try (HfModel m = HfModel.open(GoldenSupport.FIXTURES.resolve(family))) {
            return HfTokenizer.load(m);
        }
    }

    static Stream<Arguments> cases() {
        // the BF16/F16 cases carry logits only
        return DecoderGoldenTest.cases().filter(a -> !((JsonNode) a.get()[1]).get("pairs").isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void completionNllMatchesReference(String name, JsonNode c) {
        try (Decoder d = GoldenSupport.open(c); HfTokenizer t = tokenizer(GoldenSupport.fixture(c).getFileName().toString())) {
            GoldenSupport.applyAdapters(d, c);
            List<Scorer.Example> ex = new ArrayList<>();
            c.get("pairs").forEach(p -> ex.add(new Scorer.Example(p.get("prompt").asText(), p.get("completion").asText())));
            Scorer scorer = new Scorer(d, t);
            try (Scorer.Prepared prepared = scorer.prepare(ex)) {
                for (int round = 0; round < 2; round++) { // a prepared set scores the same twice
                    Scorer.Result r = scorer.score(prepared);
                    double sum = 0;
                    long count = 0;
                    for (int i = 0; i < ex.size(); i++) {
                        JsonNode g = c.get("pairs").get(i);
                        assertEquals(g.get("tokens").asInt(), r.examples().get(i).tokens(), name);
                        double e = g.get("nll").asDouble();
                        assertEquals(e, r.examples().get(i).nll(), 1e-4 * Math.abs(e), name + " example " + i);
                        sum += e;
                        count += g.get("tokens").asInt();
                    }
                    assertEquals(sum / count, r.meanNll(), 1e-4 * sum / count);
                    assertEquals(Math.exp(sum / count), r.perplexity(), 1e-3 * Math.exp(sum / count));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral", "phi3", "gemma2", "gemma3"})
    void greedyWithCacheIsArgmaxOfFullLogitsAtEveryStep(String family) {
        try (Decoder d = DecoderGoldenTest.open(family); HfTokenizer t = tokenizer(family); NDManager m = d.manager().newSubManager()) {
            d.bank().add("a", io.laem.engine.lora.LoraAdapter.load(GoldenSupport.FIXTURES.resolve(family).resolve("adapter_a")).modules().values());
            d.bank().setAll("a", 0.8);
            long[] prompt = t.encode("the cat");
            List<Long> streamed = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            Generator.Result r = new Generator(d, t).generate(prompt, Generator.Options.greedy(12), (id, s) -> {
                if (id >= 0) {
                    streamed.add(id);
                }
                text.append(s);
            }, null);
            assertTrue(r.tokens().length > 0);
            assertEquals(r.tokens().length, streamed.size());
            assertEquals(r.text(), text.toString());
            long[] seq = java.util.Arrays.copyOf(prompt, prompt.length + r.tokens().length);
            System.arraycopy(r.tokens(), 0, seq, prompt.length, r.tokens().length);
            int v = d.config().vocabSize();
            float[] full = d.forward(m.create(seq, new Shape(1, seq.length)), null).toFloatArray();
            for (int i = 0; i < r.tokens().length; i++) {
                int pos = prompt.length - 1 + i;
                float[] row = java.util.Arrays.copyOfRange(full, pos * v, (pos + 1) * v);
                assertEquals(Sampler.argmax(row), r.tokens()[i], family + " step " + i);
            }
        }
    }

    @Test
    void samplingIsSeededAndStopsOnStopStringsAndCancel() {
        try (Decoder d = DecoderGoldenTest.open("qwen2"); HfTokenizer t = tokenizer("qwen2")) {
            Generator g = new Generator(d, t);
            Generator.Options o = null;
            Generator.Result a = null;
            for (long seed = 1; a == null || a.reason() != Generator.StopReason.MAX_TOKENS; seed++) { // a seed that runs to max tokens
                o = new Generator.Options(20, 1.5, 0.95, 40, seed, List.of());
                a = g.generate("hello", o, null, null);
            }
            Generator.Result b = g.generate("hello", o, null, null);
            assertEquals(a.text(), b.text());
            Generator.Result c = g.generate("hello", new Generator.Options(20, 1.5, 0.95, 40, o.seed() + 100, List.of()), null, null);
            assertNotEquals(a.text(), c.text());
            // stop on a string that the unconstrained run produced
            String stop = a.text().substring(3, 5);
            Generator.Result s = g.generate("hello", o.withStopStrings(List.of(stop)), null, null);
            assertEquals(Generator.StopReason.STOP_STRING, s.reason());
            assertEquals(a.text().substring(0, a.text().indexOf(stop)), s.text());
            AtomicInteger n = new AtomicInteger();
            Generator.Result x = g.generate("hello", o, (id, txt) -> n.incrementAndGet(), () -> n.get() >= 3);
            assertEquals(Generator.StopReason.CANCELLED, x.reason());
            assertEquals(3, x.tokens().length);
        }
    }

    @Test
    void emptyCompletionsScoreZeroTokensAndBatchesAgree() {
        try (Decoder d = DecoderGoldenTest.open("qwen3"); HfTokenizer t = tokenizer("qwen3")) {
            Scorer s = new Scorer(d, t);
            List<Scorer.Example> ex = new ArrayList<>();
            ex.add(new Scorer.Example("abc", ""));
            for (int i = 0; i < 40; i++) { // more than one batch, many lengths
                ex.add(new Scorer.Example("p".repeat(1 + i % 7), "q" + "r".repeat(i % 5)));
            }
            Scorer.Result all = s.score(ex);
            assertEquals(0, all.examples().getFirst().tokens());
            assertEquals(0.0, all.examples().getFirst().nll());
            for (int i = 1; i < ex.size(); i += 13) { // each example alone gives the same NLL as in the padded batch
                Scorer.ExampleScore alone = s.score(List.of(ex.get(i))).examples().getFirst();
                assertEquals(alone.tokens(), all.examples().get(i).tokens());
                assertEquals(alone.nll(), all.examples().get(i).nll(), 1e-4 * alone.nll());
            }
        }
    }

    @Test
    void promptLongerThanContextIsRefused() {
        try (Decoder d = DecoderGoldenTest.open("llama"); HfTokenizer t = tokenizer("llama")) {
            LaemException e = assertThrows(LaemException.class,
                    () -> new Generator(d, t).generate("a".repeat(600), Generator.Options.greedy(4), null, null));
            assertTrue(e.getMessage().contains("context is 512"), e.getMessage());
        }
    }

    @Test
    void safeLengthHoldsBackStopPrefixes() {
        assertEquals(3, Generator.safeLength("abcST", List.of("STOP")));
        assertEquals(5, Generator.safeLength("abcST", List.of("X")));
        assertEquals(2, Generator.safeLength("ab\uFFFD", List.of()));
    }

    @Test
    void jsonlErrorsNameTheLine(@TempDir Path dir) throws Exception {
        assertTrue(assertThrows(LaemException.class, () -> ScoreData.readJsonl(dir.resolve("missing.jsonl"))).getMessage()
                .endsWith("missing.jsonl: file not found"));
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "\n\n");
        assertTrue(assertThrows(LaemException.class, () -> ScoreData.readJsonl(empty)).getMessage().contains("no examples"));
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\": 1}\n");
        assertTrue(assertThrows(LaemException.class, () -> ScoreData.readJsonl(bad)).getMessage().contains("bad.jsonl:2:"));
        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "\n{\"prompt\":\"a\",\"completion\":\"b\"}\n{oops\n");
        assertTrue(assertThrows(LaemException.class, () -> ScoreData.readJsonl(broken)).getMessage().contains("broken.jsonl:3: invalid JSON"));
        Path ok = Files.writeString(dir.resolve("ok.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\n\n{\"prompt\":\"c\",\"completion\":\"d\"}\n");
        assertEquals(List.of(new Scorer.Example("a", "b"), new Scorer.Example("c", "d")), ScoreData.readJsonl(ok));
    }
}
