package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.model.HfModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizerAndTemplateTest {
    static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    static final String STRICT = "{% for message in messages %}{% if message['role'] == 'system' %}"
            + "{{ raise_exception('System role not supported') }}{% endif %}{{ message['content'] }}\n{% endfor %}";

    @Test
    void charTokenizerAddsBosAndRoundTrips() {
        try (HfModel m = HfModel.open(GoldenSupport.FIXTURES.resolve("llama")); HfTokenizer t = HfTokenizer.load(m)) {
            long[] ids = t.encode("hi there");
            assertEquals(CharTokenizer.BOS, ids[0]);
            assertEquals(9, ids.length);
            assertEquals(t.id("h").orElseThrow(), ids[1]);
            assertEquals(t.id(" ").orElseThrow(), ids[3]);
            assertEquals("hi there", t.decode(ids, true));
            assertArrayEquals(java.util.Arrays.copyOfRange(ids, 1, 9), t.encode("hi there", false));
            assertTrue(t.eosIds().contains((long) CharTokenizer.EOS));
            assertEquals(CharTokenizer.UNK, t.encode("~", false)[0]);
        }
    }

    @Test
    void qwen2Template() {
        ChatTemplate t = new ChatTemplate("test", QWEN2);
        String out = t.render(List.of(new ChatTemplate.Message("user", "Hi!")), true, null, "<|im_end|>");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\n", out);
    }

    @Test
    void llama3Template() {
        ChatTemplate t = new ChatTemplate("test", LLAMA3);
        String out = t.render(List.of(new ChatTemplate.Message("system", "Be brief. "), new ChatTemplate.Message("user", "2+2?")),
                true, "<|begin_of_text|>", "<|eot_id|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", out);
        String noGen = t.render(List.of(new ChatTemplate.Message("user", "x")), false, "<s>", "</s>");
        assertEquals("<s><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>", noGen);
    }

    @Test
    void raiseExceptionBecomesAClearError() {
        ChatTemplate t = new ChatTemplate("test", STRICT);
        LaemException e = assertThrows(LaemException.class,
                () -> t.render(List.of(new ChatTemplate.Message("system", "x")), true, null, null));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertEquals("a\nb\n", t.render(List.of(new ChatTemplate.Message("user", "a"), new ChatTemplate.Message("assistant", "b")),
                false, null, null));
    }

    @Test
    void fixtureChatTemplateEncodes() {
        try (HfModel m = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen2")); HfTokenizer t = HfTokenizer.load(m)) {
            long[] ids = t.encodeChat(List.of(new ChatTemplate.Message("user", "hi")));
            assertEquals("user: hi\nassistant: ", t.decode(ids, true));
        }
    }
}
