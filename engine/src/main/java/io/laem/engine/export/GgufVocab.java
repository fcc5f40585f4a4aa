package io.laem.engine.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModelConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizer metadata for llama.cpp from a Hugging Face {@code tokenizer.json} (and
 * {@code tokenizer_config.json}): a BPE vocabulary as llama.cpp's {@code gpt2} tokenizer model
 * (tokens, token types, merges, special ids, add_bos, the chat template), so that llama.cpp tokenizes
 * as the HF tokenizer does. Byte-level vocabularies are written as they are; a plain character
 * vocabulary (no byte-level pre-tokenizer, like the demo kit's) is re-spelled in GPT-2's byte-to-unicode
 * alphabet, which llama.cpp's gpt2 model expects. SentencePiece-style vocabularies (byte fallback) are
 * refused with a clear error for now.
 */
public final class GgufVocab {
    /** llama.cpp token types (gguf-py's TokenType). */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;

    private GgufVocab() {}

    /** Writes the tokenizer keys for the model folder {@code dir} with config {@code c}. */
    public static void put(GgufWriter w, Path dir, ModelConfig c) {
        Path tj = dir.resolve("tokenizer.json");
        if (!Files.exists(tj)) {
            throw new LaemException(dir + ": no tokenizer.json: GGUF export needs the tokenizer");
        }
        JsonNode tok = Json.readTree(tj);
        Path tcPath = dir.resolve("tokenizer_config.json");
        JsonNode tc = Files.exists(tcPath) ? Json.readTree(tcPath) : Json.JSON.createObjectNode();
        JsonNode model = tok.path("model");
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) {
            throw new LaemException(tj + ": field 'model.type' is '" + type + "': GGUF export supports BPE tokenizers");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new LaemException(tj + ": field 'model.byte_fallback': SentencePiece-style vocabularies are not supported by GGUF export yet");
        }
        boolean byteLevel = mentionsByteLevel(tok.path("pre_tokenizer")) || mentionsByteLevel(tok.path("decoder"));

        Map<Integer, JsonNode> added = new HashMap<>();
        tok.path("added_tokens").forEach(a -> added.put(a.path("id").asInt(), a));
        String[] tokens = new String[c.vocabSize()];
        int[] types = new int[c.vocabSize()];
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        model.path("vocab").fields().forEachRemaining(e -> {
            int id = e.getValue().asInt();
            if (id < 0 || id >= tokens.length) {
                throw new LaemException(tj + ": token '" + e.getKey() + "' has id " + id + ", outside vocab_size " + tokens.length);
            }
            tokens[id] = byteLevel || added.containsKey(id) ? e.getKey() : toByteLevel(e.getKey());
            types[id] = e.getKey().equals(unk) ? UNKNOWN : NORMAL;
        });
        for (Map.Entry<Integer, JsonNode> e : added.entrySet()) {
            int id = e.getKey();
            if (id < 0 || id >= tokens.length) {
                throw new LaemException(tj + ": added token '" + e.getValue().path("content").asText() + "' has id " + id
                        + ", outside vocab_size " + tokens.length);
            }
            String content = e.getValue().path("content").asText();
            tokens[id] = content;
            types[id] = content.equals(unk) ? UNKNOWN : e.getValue().path("special").asBoolean(false) ? CONTROL : USER_DEFINED;
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null) { // the model's vocabulary is larger than the tokenizer's: padding, as the converter writes it
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            String pair = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
            if (!byteLevel) {
                String[] parts = pair.split(" ", 2);
                pair = toByteLevel(parts[0]) + " " + toByteLevel(parts[1]);
            }
            merges.add(pair);
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", preTokenizer(c, byteLevel));
        w.putStrings("tokenizer.ggml.tokens", Arrays.asList(tokens));
        w.putInts("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        Integer bos = special(tc, "bos_token", ids, c.bosTokenId());
        Integer eos = special(tc, "eos_token", ids, c.eosTokenIds().isEmpty() ? null : c.eosTokenIds().getFirst());
        Integer pad = special(tc, "pad_token", ids, null);
        Integer unkId = unk != null ? ids.get(unk) : null;
        if (bos != null) {
            w.putU32("tokenizer.ggml.bos_token_id", bos);
        }
        if (eos != null) {
            w.putU32("tokenizer.ggml.eos_token_id", eos);
        }
        if (unkId != null) {
            w.putU32("tokenizer.ggml.unknown_token_id", unkId);
        }
        if (pad != null) {
            w.putU32("tokenizer.ggml.padding_token_id", pad);
        }
        w.putBool("tokenizer.ggml.add_bos_token", tc.has("add_bos_token") ? tc.get("add_bos_token").asBoolean()
                : bos != null && postProcessorAddsBos(tok, tokens[bos]));
        w.putBool("tokenizer.ggml.add_eos_token", tc.path("add_eos_token").asBoolean(false));
        JsonNode tmpl = tc.get("chat_template");
        if (tmpl != null && tmpl.isTextual()) {
            w.putString("tokenizer.chat_template", tmpl.asText());
        } else if (tmpl != null && tmpl.isArray()) { // named templates: the default one
            for (JsonNode t : tmpl) {
                if (t.path("name").asText().equals("default")) {
                    w.putString("tokenizer.chat_template", t.path("template").asText());
                }
            }
        }
    }

    /** The pre-tokenizer llama.cpp should use; the converter picks it by hashing tokenizations, we go by family. */
    private static String preTokenizer(ModelConfig c, boolean byteLevel) {
        if (!byteLevel) {
            return "default"; // no merges across characters: any split tokenizes the same
        }
        return switch (c.template().family()) {
            case "qwen2", "qwen3" -> "qwen2";
            case "llama" -> "llama-bpe";
            default -> "default";
        };
    }

    private static boolean mentionsByteLevel(JsonNode n) {
        if (n.isObject() && "ByteLevel".equals(n.path("type").asText())) {
            return true;
        }
        for (JsonNode child : n.path("pretokenizers")) {
            if (mentionsByteLevel(child)) {
                return true;
            }
        }
        for (JsonNode child : n.path("decoders")) {
            if (mentionsByteLevel(child)) {
                return true;
            }
        }
        return false;
    }

    private static boolean postProcessorAddsBos(JsonNode tok, String bos) {
        JsonNode first = tok.path("post_processor").path("single").path(0).path("SpecialToken");
        return first.path("id").asText("").equals(bos);
    }

    /** A special token's id: from tokenizer_config.json's token string (plain or AddedToken form), else the config's id. */
    private static Integer special(JsonNode tc, String field, Map<String, Integer> ids, Integer fallback) {
        JsonNode v = tc.get(field);
        String s = v == null ? null : v.isTextual() ? v.asText() : v.path("content").isTextual() ? v.path("content").asText() : null;
        if (s != null && ids.containsKey(s)) {
            return ids.get(s);
        }
        return fallback;
    }

    /** GPT-2's byte-to-unicode alphabet: printable bytes stand for themselves, the others map to 256 and up. */
    static String toByteLevel(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            b.appendCodePoint(BYTE_CHARS[x & 0xff]);
        }
        return b.toString();
    }

    private static final int[] BYTE_CHARS = new int[256];

    static {
        int n = 0;
        for (int i = 0; i < 256; i++) {
            boolean printable = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
            BYTE_CHARS[i] = printable ? i : 256 + n++;
        }
    }
}
