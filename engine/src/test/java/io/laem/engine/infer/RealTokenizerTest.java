package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.RealTokenizers;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The published tokenizer.json files load offline and behave as transformers' tokenizers: text
 * round-trips, the chat template's special tokens are single ids, bos/eos come from the files, and a chat
 * prompt carries exactly the bos its template writes (no second one from the post-processor).
 * Qwen3's files are committed; the others skip with a message unless .ci/fetch-tokenizers ran.
 */
class RealTokenizerTest {
    /** Each tokenizer is loaded once for the class (the large ones take seconds). */
    private static final Map<String, HfTokenizer> LOADED = new java.util.HashMap<>();

    static HfTokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, RealTokenizers::load);
    }

    @AfterAll
    static void close() {
        LOADED.values().forEach(HfTokenizer::close);
    }

    static final List<String> SAMPLES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "机器学习是人工智能的一个分支。",
            "Съешь же ещё этих мягких французских булок.",
            "Emoji: 👋🏽 🧪🚀 — ok?",
            "def f(x):\n    return {\"k\": x ** 2}  # code\n\ttabs\tand  spaces");

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen2_5", "llama3_1", "llama3_2", "llama2", "gemma3", "deepseek_v3", "mistral_nemo", "gptoss"})
    void loadsOfflineAndRoundTripsMultilingualText(String name) {
        {
            HfTokenizer t = tokenizer(name);
            assertTrue(t.vocabSize() > 30_000, name + ": vocab " + t.vocabSize());
            for (String s : SAMPLES) {
                long[] ids = t.encode(s, false);
                assertTrue(ids.length > 0 && ids.length < s.length() + 8, name + ": " + ids.length + " ids for " + s);
                assertEquals(s, t.decode(ids, false), name);
            }
        }
    }

    /** Family, the template's special tokens (each must be one id), bos, eos, whether the post-processor adds bos. */
    record Family(String name, List<String> specials, String bos, String eos, boolean postProcessorAddsBos) {}

    static final Map<String, Family> FAMILIES = Map.of(
            "qwen3", new Family("qwen3", List.of("<|im_start|>", "<|im_end|>", "<think>", "</think>", "<|endoftext|>"), null, "<|im_end|>", false),
            "qwen2_5", new Family("qwen2_5", List.of("<|im_start|>", "<|im_end|>", "<|endoftext|>"), null, "<|im_end|>", false),
            "llama3_1", new Family("llama3_1", List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
                    "<|begin_of_text|>", "<|eot_id|>", true),
            "llama3_2", new Family("llama3_2", List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
                    "<|begin_of_text|>", "<|eot_id|>", true),
            "gemma3", new Family("gemma3", List.of("<bos>", "<start_of_turn>", "<end_of_turn>"), "<bos>", "<end_of_turn>", true),
            "deepseek_v3", new Family("deepseek_v3", List.of("<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>"),
                    "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", true),
            "mistral_nemo", new Family("mistral_nemo", List.of("<s>", "</s>", "[INST]", "[/INST]"), "<s>", "</s>", true));

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen2_5", "llama3_1", "llama3_2", "gemma3", "deepseek_v3", "mistral_nemo"})
    void chatSpecialTokensAreSingleIdsAndBosIsNotDoubled(String name) {
        Family f = FAMILIES.get(name);
        {
            HfTokenizer t = tokenizer(name);
            for (String special : f.specials()) {
                long[] ids = t.encode(special, false);
                assertArrayEquals(new long[] {t.id(special).orElseThrow()}, ids, name + ": " + special);
            }
            assertEquals(f.bos(), t.bosToken().orElse(null), name + ": bos_token of tokenizer_config.json");
            assertEquals(f.eos(), t.eosToken().orElse(null), name + ": eos_token of tokenizer_config.json");
            assertTrue(t.eosIds().contains(t.id(f.eos()).orElseThrow()), name + ": eos id");
            assertEquals(f.bos() == null ? null : t.id(f.bos()).orElseThrow(), t.bosId().orElse(null), name + ": bos id");

            long[] plain = t.encode("Hello", true);
            assertEquals(f.postProcessorAddsBos(), t.bosId().isPresent() && plain[0] == t.bosId().get(), name + ": post-processor bos");

            HfTokenizer.Prompt p = t.chatPrompt(List.of(new ChatTemplate.Message("user", "Hello")), Map.of());
            assertEquals(p.text(), t.decode(p.ids(), false), name + ": the prompt's ids decode to its text");
            if (f.bos() != null) {
                long bos = t.bosId().orElseThrow();
                assertEquals(bos, p.ids()[0], name + ": the template writes bos");
                assertNotEquals(bos, p.ids()[1], name + ": one bos, not two");
            }
            for (String special : f.specials().subList(0, 2)) {
                if (p.text().contains(special)) {
                    long id = t.id(special).orElseThrow();
                    assertTrue(java.util.Arrays.stream(p.ids()).anyMatch(x -> x == id), name + ": " + special + " in the prompt ids");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3_1"})
    void publishedIdsOfChatTokens(String name) {
        // ids as published in the models' config.json / tokenizer.json, checked independently of our lookup
        Map<String, Long> expected = name.equals("qwen3")
                ? Map.of("<|endoftext|>", 151643L, "<|im_start|>", 151644L, "<|im_end|>", 151645L, "<think>", 151667L)
                : Map.of("<|begin_of_text|>", 128000L, "<|end_of_text|>", 128001L, "<|eot_id|>", 128009L, "<|start_header_id|>", 128006L);
        {
            HfTokenizer t = tokenizer(name);
            expected.forEach((token, id) -> assertEquals(id, t.encode(token, false)[0], name + ": " + token));
            assertEquals(Set.of(expected.get(name.equals("qwen3") ? "<|im_end|>" : "<|eot_id|>")), t.eosIds(), name);
        }
    }
}
