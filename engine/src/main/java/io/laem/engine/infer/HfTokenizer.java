package io.laem.engine.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.model.HfModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model's tokenizer: {@code tokenizer.json} through DJL's HuggingFace tokenizers (Rust, offline),
 * so special tokens are added exactly as its post-processor says; bos/eos/pad and the chat template
 * from {@code tokenizer_config.json} when present.
 */
public final class HfTokenizer implements AutoCloseable {
    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Long> vocab;
    private final String bosToken;
    private final String eosToken;
    private final Set<Long> eosIds;
    private final Long padId;
    private final ChatTemplate chatTemplate;
    private Long bosIdFromConfig;
    /** Non-null where tokenizer_config.json, not tokenizer.json's post-processor, decides bos/eos. */
    private Boolean addBos;
    private Boolean addEos;

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Long> vocab, String bos, String eos, Set<Long> eosIds,
                        Long padId, ChatTemplate chatTemplate) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.bosToken = bos;
        this.eosToken = eos;
        this.eosIds = eosIds;
        this.padId = padId;
        this.chatTemplate = chatTemplate;
    }

    /** The special-token fields of tokenizer_config.json that transformers passes to chat templates. */
    private static final List<String> SPECIAL_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
            "mask_token");

    /**
     * The tokenizer of a model folder. End-of-sequence ids are tokenizer_config.json's eos_token plus every
     * {@code eos_token_id} (a number or a list) of config.json and generation_config.json: chat models stop
     * on an end-of-turn token their config lists beside the end-of-text one.
     */
    public static HfTokenizer load(HfModel model) {
        Path tj = model.tokenizerJson().orElseThrow(() -> new LaemException(model.dir() + ": no tokenizer.json"));
        HfTokenizer t = load(tj, model.tokenizerConfigJson().orElse(null));
        model.config().eosTokenIds().forEach(id -> t.eosIds.add((long) id));
        Path gen = model.dir().resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            JsonNode e = Json.readTree(gen).get("eos_token_id");
            if (e != null && e.isArray()) {
                e.forEach(x -> t.eosIds.add(x.asLong()));
            } else if (e != null && e.isIntegralNumber()) {
                t.eosIds.add(e.asLong());
            }
        }
        if (t.bosToken == null && model.config().bosTokenId() != null) {
            t.bosIdFromConfig = (long) model.config().bosTokenId();
        }
        return t;
    }

    public static HfTokenizer load(Path tokenizerJson, Path tokenizerConfigJson) {
        Map<String, Long> vocab = readVocab(tokenizerJson);
        Map<String, String> special = new LinkedHashMap<>();
        ChatTemplate template = null;
        Boolean addBos = null;
        Boolean addEos = null;
        String tokenizerClass = "";
        if (tokenizerConfigJson != null) {
            JsonNode c = Json.readTree(tokenizerConfigJson);
            addBos = c.path("add_bos_token").isBoolean() ? c.get("add_bos_token").asBoolean() : null;
            addEos = c.path("add_eos_token").isBoolean() ? c.get("add_eos_token").asBoolean() : null;
            tokenizerClass = c.path("tokenizer_class").asText("");
            for (String key : SPECIAL_KEYS) {
                String text = tokenText(c.get(key));
                if (text != null) {
                    special.put(key, text);
                }
            }
            JsonNode ct = c.get("chat_template");
            String where = tokenizerConfigJson + ": chat_template";
            if (ct != null && ct.isTextual()) {
                template = new ChatTemplate(where, ct.asText(), special);
            } else if (ct != null && ct.isArray()) {
                for (JsonNode named : ct) {
                    if (named.path("name").asText().equals("default")) {
                        template = new ChatTemplate(where, named.path("template").asText(), special);
                    }
                }
            }
        }
        String eos = special.get("eos_token");
        Set<Long> eosIds = new LinkedHashSet<>();
        if (eos != null && vocab.containsKey(eos)) {
            eosIds.add(vocab.get(eos));
        }
        String pad = special.get("pad_token");
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try {
            Djl.offlineUnlessOptedIn(); // the tokenizer calls home too
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokenizerJson, options);
            HfTokenizer t = new HfTokenizer(tokenizerJson, hf, vocab, special.get("bos_token"), eos, eosIds, pad == null ? null : vocab.get(pad),
                    template);
            // transformers rebuilds the post-processor of Llama and Gemma tokenizers from add_bos_token /
            // add_eos_token (defaults true / false), whatever tokenizer.json says (DeepSeek-V3's adds nothing)
            if (tokenizerClass.matches("(Llama|CodeLlama|Gemma)Tokenizer(Fast)?")) {
                t.addBos = addBos == null || addBos;
                t.addEos = addEos != null && addEos;
            }
            return t;
        } catch (IOException | RuntimeException e) {
            throw new LaemException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage());
        }
    }

    /**
     * tokenizers (Rust) reads a TemplateProcessing without the checks its builder makes and then
     * panics on encode, which aborts the JVM, when a template names a special token the processor
     * lacks, a single-sequence template uses $B, or a special token's ids and tokens differ in length.
     * Those are refused here, naming the file.
     */
    private static void checkPostProcessor(Path file, JsonNode pp) {
        if (pp == null || pp.isNull()) {
            return;
        }
        String type = pp.path("type").asText("");
        if (type.equals("Sequence")) {
            for (JsonNode p : pp.path("processors")) {
                checkPostProcessor(file, p);
            }
            return;
        }
        if (!type.equals("TemplateProcessing")) {
            return;
        }
        JsonNode special = pp.path("special_tokens");
        if (!special.isObject()) {
            throw new LaemException(file + ": field 'post_processor.special_tokens' must be an object");
        }
        for (var e : special.properties()) {
            JsonNode ids = e.getValue().path("ids");
            JsonNode tokens = e.getValue().path("tokens");
            if (!ids.isArray() || !tokens.isArray() || ids.size() != tokens.size()) {
                throw new LaemException(file + ": post_processor special token '" + e.getKey() + "' needs as many 'ids' as 'tokens'");
            }
        }
        for (String which : List.of("single", "pair")) {
            JsonNode template = pp.get(which);
            if (template == null || template.isNull()) {
                continue;
            }
            if (!template.isArray()) {
                throw new LaemException(file + ": field 'post_processor." + which + "' must be a list");
            }
            for (JsonNode piece : template) {
                JsonNode tok = piece.path("SpecialToken");
                if (tok.isObject() && !special.has(tok.path("id").asText(""))) {
                    throw new LaemException(file + ": post_processor." + which + " names special token " + tok.path("id")
                            + ", which post_processor.special_tokens lacks");
                }
                if (which.equals("single") && piece.path("Sequence").path("id").asText("A").equals("B")) {
                    throw new LaemException(file + ": post_processor.single uses sequence B (a single sequence has only A)");
                }
            }
        }
    }

    /**
     * Token text to id: the model's vocab (an object for BPE/WordPiece, a list of [piece, score] for
     * Unigram) and the added tokens, read by streaming so the merges are skipped, not built as a tree.
     */
    private static Map<String, Long> readVocab(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new LaemException(tokenizerJson + ": file not found");
        }
        Map<String, Long> vocab = new HashMap<>();
        try (JsonParser p = Json.JSON.getFactory().createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new LaemException(tokenizerJson + ": not a tokenizer.json (no top-level object)");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("added_tokens") && p.currentToken() == JsonToken.START_ARRAY) {
                    JsonNode added = Json.JSON.readTree(p);
                    added.forEach(t -> vocab.put(t.path("content").asText(), t.path("id").asLong()));
                } else if (field.equals("post_processor")) {
                    checkPostProcessor(tokenizerJson, Json.JSON.readTree(p));
                } else if (field.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String mf = p.currentName();
                        JsonToken v = p.nextToken();
                        if (mf.equals("vocab") && v == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String piece = p.currentName();
                                if (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                                    vocab.putIfAbsent(piece, p.getLongValue());
                                } else {
                                    p.skipChildren();
                                }
                            }
                        } else if (mf.equals("vocab") && v == JsonToken.START_ARRAY) {
                            long id = 0;
                            while (p.nextToken() == JsonToken.START_ARRAY) {
                                p.nextToken();
                                vocab.putIfAbsent(p.getText(), id++);
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    p.skipChildren();
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new LaemException(tokenizerJson + ": invalid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        return vocab;
    }

    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    /** Token ids of a text, with the special tokens the post-processor adds (e.g. bos). */
    public long[] encode(String text) {
        return encode(text, true);
    }

    public long[] encode(String text, boolean addSpecialTokens) {
        if (addSpecialTokens && addBos != null) {
            long[] body = tokenizer.encode(text, false, false).getIds();
            Long bos = addBos ? bosId().orElse(null) : null;
            Long eos = addEos && eosToken != null ? vocab.get(eosToken) : null;
            long[] ids = new long[body.length + (bos != null ? 1 : 0) + (eos != null ? 1 : 0)];
            System.arraycopy(body, 0, ids, bos != null ? 1 : 0, body.length);
            if (bos != null) {
                ids[0] = bos;
            }
            if (eos != null) {
                ids[ids.length - 1] = eos;
            }
            return ids;
        }
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        return e.getIds();
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    public Optional<Long> id(String token) {
        return Optional.ofNullable(vocab.get(token));
    }

    public Set<Long> eosIds() {
        return eosIds;
    }

    /** Padding id: the pad token, else the first eos, else 0 (padded positions are masked anyway). */
    public long padId() {
        return padId != null ? padId : eosIds.isEmpty() ? 0 : eosIds.iterator().next();
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The bos token's id: tokenizer_config.json's bos_token, else config.json's bos_token_id. */
    public Optional<Long> bosId() {
        return bosToken != null && vocab.containsKey(bosToken) ? Optional.of(vocab.get(bosToken)) : Optional.ofNullable(bosIdFromConfig);
    }

    /** What goes to the model: the prompt text (with {@code chat}, the rendered template) and its token ids. */
    public record Prompt(String text, long[] ids, boolean chat) {
        /** The text between markers, then the ids (special tokens included), as --show-prompt prints it. */
        public String show() {
            StringBuilder b = new StringBuilder();
            b.append("--- prompt").append(chat ? " (chat template)" : "").append(", ").append(ids.length).append(" tokens ---\n");
            b.append(text).append("\n--- token ids ---\n");
            for (int i = 0; i < ids.length; i++) {
                b.append(i > 0 ? " " : "").append(ids[i]);
            }
            return b.append("\n--- end of prompt ---\n").toString();
        }
    }

    /** A plain prompt, encoded with the special tokens the post-processor adds (e.g. bos). */
    public Prompt prompt(String text) {
        return new Prompt(text, encode(text), false);
    }

    /**
     * The prompt for a conversation through the chat template, with the generation prompt, encoded without
     * adding special tokens again as transformers does: the template writes bos itself where the model
     * wants it, so Llama 3's post-processor bos would be a second one.
     */
    public Prompt chatPrompt(List<ChatTemplate.Message> messages, Map<String, ?> options) {
        ChatTemplate t = chatTemplate().orElseThrow(() -> new LaemException(file.getParent() + ": no chat_template in tokenizer_config.json"));
        String text = t.render(messages, true, options);
        return new Prompt(text, encode(text, false), true);
    }

    public long[] encodeChat(List<ChatTemplate.Message> messages) {
        return chatPrompt(messages, Map.of()).ids();
    }

    public Path file() {
        return file;
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** Ids as a list (convenience for callers that build token lists). */
    public static List<Long> list(long[] ids) {
        List<Long> l = new ArrayList<>(ids.length);
        for (long id : ids) {
            l.add(id);
        }
        return l;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
