package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.jinja.JinjaCallable;
import io.laem.engine.jinja.JinjaException;
import io.laem.engine.jinja.JinjaTemplate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every real chat template renders byte for byte as Python jinja2 configured as transformers renders it
 * (goldens from src/test/resources/chat/make_goldens.py): Qwen3 (with enable_thinking), Qwen2.5, Mistral
 * Nemo, Llama 3.1, Llama 3.2 (strftime_now), Gemma 3, DeepSeek-V3 and Phi-3, each for a single user turn
 * with and without a system message, multi-turn with assistant turns, with and without the generation
 * prompt, and the conversations a template refuses.
 */
class ChatTemplateGoldenTest {
    static final JsonNode GOLDENS = Json.readTree(Path.of("src/test/resources/chat/goldens.json"));

    @TestFactory
    Stream<DynamicNode> everyTemplateMatchesJinja2() {
        List<DynamicNode> nodes = new ArrayList<>();
        GOLDENS.get("templates").properties().forEach(e -> nodes.add(DynamicContainer.dynamicContainer(e.getKey(),
                cases(e.getKey(), e.getValue()))));
        return nodes.stream();
    }

    private static Stream<DynamicTest> cases(String name, JsonNode golden) {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                ChatTemplate t = template(name, golden);
                List<Map<String, Object>> messages = Json.JSON.convertValue(c.get("messages"), new TypeReference<>() {});
                Map<String, Object> kwargs = Json.JSON.convertValue(c.get("kwargs"), new TypeReference<LinkedHashMap<String, Object>>() {});
                boolean agp = c.get("add_generation_prompt").asBoolean();
                if (c.has("error")) {
                    LaemException e = assertThrows(LaemException.class, () -> t.renderMessages(messages, agp, kwargs));
                    assertTrue(e.getMessage().endsWith("the template refuses this conversation: " + c.get("error").asText()), e.getMessage());
                } else {
                    assertEquals(c.get("expected").asText(), t.renderMessages(messages, agp, kwargs));
                }
            }));
        }
        return tests.stream();
    }

    /** Feature by feature (string methods, slices, loop, namespace, tests, filters, tojson, whitespace control, ...). */
    @TestFactory
    Stream<DynamicTest> jinjaFeaturesMatchJinja2() {
        List<DynamicTest> tests = new ArrayList<>();
        LocalDateTime now = LocalDateTime.parse(GOLDENS.get("fixed_now").asText());
        for (JsonNode f : GOLDENS.get("features")) {
            tests.add(DynamicTest.dynamicTest(f.get("name").asText(), () -> {
                Map<String, Object> vars = Json.JSON.convertValue(f.get("variables"), new TypeReference<LinkedHashMap<String, Object>>() {});
                vars.put("raise_exception", (JinjaCallable) (a, kw) -> {
                    throw JinjaTemplate.raise(String.valueOf(a.get(0)));
                });
                vars.put("strftime_now", (JinjaCallable) (a, kw) -> ChatTemplate.strftime(String.valueOf(a.get(0)), now));
                JinjaTemplate t = JinjaTemplate.parse(f.get("source").asText());
                if (f.has("error")) {
                    JinjaException e = assertThrows(JinjaException.class, () -> t.render(vars));
                    String python = f.get("error").asText();
                    assertTrue(e.getMessage().endsWith(python.substring(python.indexOf(": ") + 2)), e.getMessage() + " vs " + python);
                } else {
                    assertEquals(f.get("expected").asText(), t.render(vars));
                }
            }));
        }
        return tests.stream();
    }

    /** The template the golden was made from (its sha256 checked), reading the goldens' fixed date. */
    private static ChatTemplate template(String name, JsonNode golden) throws Exception {
        String source;
        if (golden.get("where").asText().equals("inline")) {
            source = golden.get("source").asText();
        } else {
            source = Json.readTree(io.laem.engine.fixtures.RealTokenizers.config(name)).get("chat_template").asText();
        }
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8)));
        assertEquals(golden.get("sha256").asText(), sha, name + ": the template is not the one the goldens were made from");
        Map<String, String> special = Json.JSON.convertValue(golden.get("special_tokens"), new TypeReference<>() {});
        Clock fixed = Clock.fixed(LocalDateTime.parse(GOLDENS.get("fixed_now").asText()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        return new ChatTemplate(name, source, special).withClock(fixed);
    }
}
