package io.laem.engine.infer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a character-level HF {@code tokenizer.json} (+ {@code tokenizer_config.json}) for tiny
 * models: ids 0..3 are {@code <pad> <s> </s> <unk>}, then one id per character of the given set.
 * A BPE model without merges and without pre-tokenizer splits text into characters; the post
 * processor prepends {@code <s>}; the Fuse decoder joins characters back without spaces.
 */
public final class CharTokenizer {
    public static final List<String> SPECIALS = List.of("<pad>", "<s>", "</s>", "<unk>");
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int UNK = 3;

    /** A chat template in the ChatML style, rendered by {@link ChatTemplate}. */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

    private CharTokenizer() {}

    /** Vocabulary size for a character set: the 4 specials plus each distinct character. */
    public static int vocabSize(String chars) {
        return SPECIALS.size() + distinct(chars).size();
    }

    private static Set<String> distinct(String chars) {
        Set<String> s = new LinkedHashSet<>();
        chars.codePoints().forEach(c -> s.add(new String(Character.toChars(c))));
        for (String sp : SPECIALS) {
            if (s.contains(sp)) {
                throw new LaemException("character set contains special token " + sp);
            }
        }
        return s;
    }

    /** The tokenizer.json tree. */
    public static ObjectNode tokenizerJson(String chars) {
        ObjectNode root = Json.JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject("<s>");
        st.put("id", "<s>");
        st.putArray("ids").add(BOS);
        st.putArray("tokens").add("<s>");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < SPECIALS.size(); i++) {
            vocab.put(SPECIALS.get(i), i);
        }
        int id = SPECIALS.size();
        for (String c : distinct(chars)) {
            vocab.put(c, id++);
        }
        model.putArray("merges");
        return root;
    }

    /** tokenizer_config.json with the special tokens and a simple chat template. */
    public static ObjectNode tokenizerConfigJson() {
        ObjectNode c = Json.JSON.createObjectNode();
        c.put("bos_token", "<s>");
        c.put("eos_token", "</s>");
        c.put("pad_token", "<pad>");
        c.put("unk_token", "<unk>");
        c.put("add_bos_token", true);
        c.put("model_max_length", 512);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("chat_template", CHAT_TEMPLATE);
        return c;
    }

    /** Writes tokenizer.json and tokenizer_config.json into an existing folder (each atomically). */
    public static void write(Path dir, String chars) {
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokenizerJson(chars).toPrettyString());
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfigJson().toPrettyString());
    }
}
