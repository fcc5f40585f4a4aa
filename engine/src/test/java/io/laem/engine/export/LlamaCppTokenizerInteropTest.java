package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.fixtures.RealTokenizers;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Published SentencePiece-style vocabularies (tokenizer.json BPE with byte fallback) written as GGUF
 * tokenizer metadata ({@code tokenizer.ggml.model = llama}): llama.cpp tokenizes multilingual text,
 * code, emoji (byte fallback) and odd spacing into the ids the HF tokenizer gives. The GGUF holds the
 * tokenizer and the tiny llama fixture's hyperparameters, no tensors; llama.cpp loads it vocab-only.
 * Needs .ci/fetch-tokenizers (else skipped, as the real-tokenizer tests are).
 */
class LlamaCppTokenizerInteropTest {
    static final List<String> TEXTS = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "机器学习是人工智能的一个分支。",
            "Съешь же ещё этих мягких французских булок.",
            "Emoji: 👋🏽 🧪🚀 — ok?",
            "def f(x):\n    return {\"k\": x ** 2}  # code\n\ttabs\tand  spaces",
            "  two leading spaces, trailing ",
            "Ünïcödé naïveté, 日本語のテキスト, العربية, हिन्दी",
            "CRLF\r\nline, zero-width\u200bjoiner, NBSP\u00a0here");
    // not special tokens in text: HF matches them, llama.cpp only when its caller asks (parse_special)

    @BeforeAll
    static void peer() {
        var why = LlamaCppPeer.unavailable();
        if (why.isPresent()) {
            System.err.println("LlamaCppTokenizerInteropTest SKIPPED: " + why.get());
        }
        assumeTrue(why.isEmpty(), () -> "llama.cpp interop skipped: " + why.orElse(""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "gemma3"})
    void llamaCppTokenizesAsTheHfTokenizer(String name, @TempDir Path tmp) throws IOException {
        Path src = RealTokenizers.folder(name);
        Files.copy(src.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        Files.copy(RealTokenizers.config(name), tmp.resolve("tokenizer_config.json"));
        try (HfTokenizer hf = RealTokenizers.load(name)) {
            ObjectNode config = (ObjectNode) Json.readTree(LlamaCppFixturesInteropTest.FIXTURES.resolve("llama/config.json"));
            config.put("vocab_size", hf.vocabSize());
            config.remove("rope_scaling");
            Files.writeString(tmp.resolve("config.json"), config.toPrettyString());
            ModelConfig c = ModelConfig.read(tmp.resolve("config.json"));
            GgufWriter w = new GgufWriter();
            GgufArchitecture.of(c).putHyperparameters(w, c);
            GgufVocab.put(w, tmp, c);
            Path gguf = tmp.resolve("vocab.gguf");
            w.writeInto(gguf);

            ObjectNode req = Json.JSON.createObjectNode();
            req.put("model", gguf.toAbsolutePath().toString());
            req.put("vocabOnly", true);
            TEXTS.forEach(req.putArray("tokenize")::add);
            JsonNode got = LlamaCppPeer.run(req).get("tokens");
            for (int i = 0; i < TEXTS.size(); i++) {
                long[] cpp = new long[got.get(i).size()];
                for (int j = 0; j < cpp.length; j++) {
                    cpp[j] = got.get(i).get(j).asLong();
                }
                assertArrayEquals(hf.encode(TEXTS.get(i), false), cpp, name + ": " + TEXTS.get(i));
            }
            System.out.println(name + ": llama.cpp tokenizes " + TEXTS.size() + " texts as the HF tokenizer");
        }
    }
}
