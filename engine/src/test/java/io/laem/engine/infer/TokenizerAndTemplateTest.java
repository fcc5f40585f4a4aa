package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.model.HfModel;
import java.util.List;
import java.util.Map;
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
        ChatTemplate t = new ChatTemplate("test", QWEN2, Map.of("eos_token", "<|im_end|>"));
        String out = t.render(List.of(new ChatTemplate.Message("user", "Hi!")), true);
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\n", out);
    }

    @Test
    void llama3Template() {
        ChatTemplate t = new ChatTemplate("test", LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
        String out = t.render(List.of(new ChatTemplate.Message("system", "Be brief. "), new ChatTemplate.Message("user", "2+2?")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", out);
        String noGen = new ChatTemplate("test", LLAMA3, Map.of("bos_token", "<s>")).render(List.of(new ChatTemplate.Message("user", "x")), false);
        assertEquals("<s><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>", noGen);
    }

    /** Qwen2.5's template (tool branches shortened): whitespace control, attribute access, missing keys. */
    static final String QWEN25 = String.join("\n",
            "{%- if tools %}",
            "    {{- '<|im_start|>system\\n# Tools<|im_end|>\\n' }}",
            "{%- else %}",
            "    {%- if messages[0]['role'] == 'system' %}",
            "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
            "    {%- else %}",
            "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}",
            "    {%- endif %}",
            "{%- endif %}",
            "{%- for message in messages %}",
            "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}",
            "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
            "    {%- endif %}",
            "{%- endfor %}",
            "{%- if add_generation_prompt %}",
            "    {{- '<|im_start|>assistant\\n' }}",
            "{%- endif %}",
            "");

    @Test
    void qwen25Template() {
        ChatTemplate t = new ChatTemplate("test", QWEN25);
        String out = t.render(List.of(new ChatTemplate.Message("system", "Be terse."), new ChatTemplate.Message("user", "Hi"),
                new ChatTemplate.Message("assistant", "Hello."), new ChatTemplate.Message("user", "2+2?")), true);
        assertEquals("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
                + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", out);
    }

    /** Llama-3.1's template (tool branches dropped): is defined, slicing, filters in expressions, 'in' on a message. */
    static final String LLAMA31 = String.join("\n",
            "{{- bos_token }}",
            "{%- if not tools_in_user_message is defined %}",
            "    {%- set tools_in_user_message = true %}",
            "{%- endif %}",
            "{%- if not date_string is defined %}",
            "    {%- set date_string = \"26 Jul 2024\" %}",
            "{%- endif %}",
            "{%- if messages[0]['role'] == 'system' %}",
            "    {%- set system_message = messages[0]['content']|trim %}",
            "    {%- set messages = messages[1:] %}",
            "{%- else %}",
            "    {%- set system_message = \"\" %}",
            "{%- endif %}",
            "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}",
            "{%- if tools is not none %}",
            "    {{- \"Environment: ipython\\n\" }}",
            "{%- endif %}",
            "{{- \"Cutting Knowledge Date: December 2023\\n\" }}",
            "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}",
            "{{- system_message }}",
            "{{- \"<|eot_id|>\" }}",
            "{%- for message in messages %}",
            "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}",
            "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}",
            "    {%- endif %}",
            "{%- endfor %}",
            "{%- if add_generation_prompt %}",
            "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}",
            "{%- endif %}",
            "");

    @Test
    void llama31Template() {
        ChatTemplate t = new ChatTemplate("test", LLAMA31, Map.of("bos_token", "<|begin_of_text|>"));
        String out = t.render(List.of(new ChatTemplate.Message("system", " Be terse. "), new ChatTemplate.Message("user", "2+2?")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n\nBe terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void raiseExceptionBecomesAClearError() {
        ChatTemplate t = new ChatTemplate("test", STRICT);
        LaemException e = assertThrows(LaemException.class,
                () -> t.render(List.of(new ChatTemplate.Message("system", "x")), true));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertEquals("a\nb\n", t.render(List.of(new ChatTemplate.Message("user", "a"), new ChatTemplate.Message("assistant", "b")), false));
    }

    @Test
    void fixtureChatTemplateEncodes() {
        try (HfModel m = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen2")); HfTokenizer t = HfTokenizer.load(m)) {
            long[] ids = t.encodeChat(List.of(new ChatTemplate.Message("user", "hi")));
            assertEquals("user: hi\nassistant: ", t.decode(ids, true));
        }
    }

    /** tokenizers' Rust code would panic on encode (aborting the JVM) for these templates: refused at load, naming the file. */
    @Test
    void templatesThatWouldAbortTheJvmAreRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String valid = java.nio.file.Files.readString(GoldenSupport.FIXTURES.resolve("llama/tokenizer.json"));
        String[][] cases = {
            {"{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\"", "{\"SpecialToken\": {\"id\": \"<x>\", \"type_id\": 0}}, {\"Sequence\"",
                "names special token \"<x>\", which post_processor.special_tokens lacks"},
            {"\"single\": [", "\"single\": [{\"Sequence\": {\"id\": \"B\", \"type_id\": 0}}, ", "post_processor.single uses sequence B"},
            {"\"ids\": [1]", "\"ids\": [1, 2]", "special token '<s>' needs as many 'ids' as 'tokens'"}};
        String compact = io.laem.engine.io.Json.JSON.readTree(valid).toString().replace(":", ": ").replace(",", ", ");
        for (String[] c : cases) {
            assertTrue(compact.contains(c[0]), c[0]);
            java.nio.file.Path f = dir.resolve("tokenizer.json");
            java.nio.file.Files.writeString(f, compact.replaceFirst(java.util.regex.Pattern.quote(c[0]), java.util.regex.Matcher.quoteReplacement(c[1])));
            String msg = assertThrows(LaemException.class, () -> HfTokenizer.load(f, null)).getMessage();
            assertTrue(msg.startsWith(f + ": ") && msg.contains(c[2]), msg);
        }
    }

    @Test
    void brokenTemplatesAreOneLineErrorsNamingTheFile() {
        List<ChatTemplate.Message> hi = List.of(new ChatTemplate.Message("user", "hi"));
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{% for m in messages %}{{ m.content }}", "missing end tag");
        cases.put("{{ messages | nosuchfilter }}", "no filter named 'nosuchfilter'");
        cases.put("{{ messages[0].content + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'");
        cases.put("{{ messages.append(1) }}", "access to attribute 'append' of 'list' object is unsafe");
        cases.put("{% for i in range(200000) %}{% endfor %}", "Range too big");
        cases.put("{{ messages | map }}", "line 1: IndexOutOfBoundsException");
        cases.put("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "nesting or recursion too deep");
        cases.put("{{ undefined_thing.x }}", "'undefined_thing' is undefined");
        cases.forEach((source, expected) -> {
            LaemException e = assertThrows(LaemException.class, () -> new ChatTemplate("dir/tokenizer_config.json: chat_template", source)
                    .render(hi, true), source);
            assertTrue(e.getMessage().startsWith("dir/tokenizer_config.json: chat_template: "), e.getMessage());
            assertTrue(e.getMessage().contains(expected), source + " -> " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        });
    }
}
