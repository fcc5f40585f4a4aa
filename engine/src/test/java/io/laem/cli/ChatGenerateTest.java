package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.RealTokenizers;
import io.laem.engine.infer.ChatTemplate;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.io.Json;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code laem generate --chat --show-prompt} on random-weight Qwen3- and Llama-3.1-shaped models that carry
 * the published tokenizer files and the published special-token ids in config.json / generation_config.json.
 */
class ChatGenerateTest {
    /** A tiny random model of {@code type} with the real vocabulary size, ids and tokenizer files of {@code tokenizer}. */
    static Path model(Path dir, String type, String tokenizer, int vocab, int bos, List<Integer> configEos, List<Integer> generationEos)
            throws Exception {
        Path m = dir.resolve(tokenizer);
        SyntheticModels.writeModel(m, ModelSpec.tiny(type).withVocab(vocab), 7);
        ObjectNode config = (ObjectNode) Json.readTree(m.resolve("config.json"));
        config.put("bos_token_id", bos);
        config.set("eos_token_id", configEos.size() == 1 ? Json.JSON.valueToTree(configEos.get(0)) : Json.JSON.valueToTree(configEos));
        Files.writeString(m.resolve("config.json"), config.toPrettyString());
        Files.writeString(m.resolve("generation_config.json"),
                Json.JSON.createObjectNode().put("bos_token_id", bos).set("eos_token_id", Json.JSON.valueToTree(generationEos)).toPrettyString());
        Path src = RealTokenizers.folder(tokenizer);
        Files.copy(src.resolve("tokenizer.json"), m.resolve("tokenizer.json"));
        Files.copy(src.resolve("tokenizer_config.json"), m.resolve("tokenizer_config.json"));
        return m;
    }

    static long[] shownIds(String err) {
        String line = err.substring(err.indexOf("--- token ids ---\n") + 18, err.indexOf("\n--- end of prompt ---"));
        return Arrays.stream(line.split(" ")).mapToLong(Long::parseLong).toArray();
    }

    @Test
    void qwen3ShapedModelChatsWithItsRealTokenizer(@TempDir Path dir) throws Exception {
        Path m = model(dir, "qwen3", "qwen3", 151936, 151643, List.of(151645), List.of(151645, 151643));
        CliRun r = CliRun.laem("generate", "--base", m.toString(), "--chat", "--prompt", "Hi 你好 👋", "--max-tokens", "4", "--show-prompt");
        assertEquals(0, r.code(), r.err());
        String rendered = "<|im_start|>user\nHi 你好 👋<|im_end|>\n<|im_start|>assistant\n";
        assertTrue(r.err().contains("--- prompt (chat template), "), r.err());
        assertTrue(r.err().contains("tokens ---\n" + rendered + "\n--- token ids ---\n"), r.err());
        long[] ids = shownIds(r.err());
        assertEquals(151644, ids[0], "<|im_start|>");
        assertEquals(2, Arrays.stream(ids).filter(id -> id == 151644).count(), "<|im_start|> twice, as single ids");
        assertEquals(1, Arrays.stream(ids).filter(id -> id == 151645).count(), "<|im_end|> once, as a single id");
        try (HfTokenizer t = HfTokenizer.load(m.resolve("tokenizer.json"), m.resolve("tokenizer_config.json"))) {
            assertArrayEquals(t.encode(rendered, false), ids);
        }
        assertTrue(r.out().endsWith("\n"), r.out());
    }

    @Test
    void llama31ShapedModelChatsWithOneBos(@TempDir Path dir) throws Exception {
        Path m = model(dir, "llama", "llama3_1", 128256, 128000, List.of(128001, 128008, 128009), List.of(128001, 128008, 128009));
        CliRun r = CliRun.laem("generate", "--base", m.toString(), "--chat", "--prompt", " Привет ", "--max-tokens", "3", "--show-prompt");
        assertEquals(0, r.code(), r.err());
        String rendered = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nПривет<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertTrue(r.err().contains("tokens ---\n" + rendered + "\n--- token ids ---\n"), r.err());
        long[] ids = shownIds(r.err());
        assertEquals(128000, ids[0], "bos from the template");
        assertEquals(128006, ids[1], "no second bos from the post-processor");
    }

    /** Runs once the gemma3_text architecture is in the build (it comes with the architectures-as-data work). */
    @Test
    void gemma3ShapedModelChatsWithOneBos(@TempDir Path dir) throws Exception {
        Path m;
        try {
            m = model(dir, "gemma3_text", "gemma3", 262208, 2, List.of(1, 106), List.of(1, 106));
        } catch (io.laem.engine.LaemException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "SKIPPED: this build has no gemma3_text architecture: " + e.getMessage());
            return;
        }
        CliRun r = CliRun.laem("generate", "--base", m.toString(), "--chat", "--prompt", "Hi 👋", "--max-tokens", "3", "--show-prompt");
        assertEquals(0, r.code(), r.err());
        String rendered = "<bos><start_of_turn>user\nHi 👋<end_of_turn>\n<start_of_turn>model\n";
        assertTrue(r.err().contains("tokens ---\n" + rendered + "\n--- token ids ---\n"), r.err());
        long[] ids = shownIds(r.err());
        assertEquals(2, ids[0], "bos from the template");
        assertEquals(105, ids[1], "<start_of_turn>, no second bos");
    }

    @Test
    void showPromptWithoutChatShowsThePostProcessorsBos(@TempDir Path dir) throws Exception {
        Path m = model(dir, "llama", "llama3_1", 128256, 128000, List.of(128001), List.of(128001));
        CliRun r = CliRun.laem("generate", "--base", m.toString(), "--prompt", "Hello", "--max-tokens", "1", "--show-prompt");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("--- prompt, 2 tokens ---\nHello\n--- token ids ---\n128000 9906\n--- end of prompt ---\n"), r.err());
    }

    @Test
    void eosIdsComeFromEveryFile(@TempDir Path dir) throws Exception {
        Path m = model(dir, "qwen3", "qwen3", 151936, 151643, List.of(151645), List.of(151645, 151643));
        try (io.laem.engine.model.HfModel hf = io.laem.engine.model.HfModel.open(m); HfTokenizer t = HfTokenizer.load(hf)) {
            assertEquals(java.util.Set.of(151645L, 151643L), t.eosIds());
            assertEquals(151643L, t.bosId().orElseThrow(), "Qwen has no bos_token: config.json's bos_token_id");
            assertEquals("<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                    t.chatPrompt(List.of(new ChatTemplate.Message("user", "x")), Map.of("enable_thinking", false)).text());
        }
    }
}
