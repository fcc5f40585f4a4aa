package io.laem.engine.infer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A HF chat template rendered with Jinjava the way transformers' {@code apply_chat_template} does:
 * trim_blocks and lstrip_blocks on, variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}, and {@code raise_exception(msg)}.
 */
public final class ChatTemplate {
    /** One chat message. */
    public record Message(String role, String content) {
        Map<String, Object> asMap() {
            Map<String, Object> m = new HashMap<>();
            m.put("role", role);
            m.put("content", content);
            return m;
        }
    }

    private final String where;
    private final String source;
    private final Jinjava jinjava;

    public ChatTemplate(String where, String source) {
        this.where = where;
        this.source = source;
        // Jinja2 semantics that HF templates rely on: {{- -}} trimming, strict whitespace control,
        // Python operator precedence
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withParseWhitespaceControlStrictly(true).withUseNaturalOperatorPrecedence(true).build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
    }

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** Called by templates that refuse a conversation (e.g. roles out of order); Jinjava wraps the throw. */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new LaemException("chat template: " + message);
    }

    public String render(List<Message> messages, boolean addGenerationPrompt, String bosToken, String eosToken) {
        Map<String, Object> vars = new HashMap<>();
        List<Map<String, Object>> ms = new ArrayList<>();
        messages.forEach(m -> ms.add(m.asMap()));
        vars.put("messages", ms);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken == null ? "" : bosToken);
        vars.put("eos_token", eosToken == null ? "" : eosToken);
        RAISED.remove();
        RenderResult r;
        try {
            r = jinjava.renderForResult(source, vars);
        } catch (RuntimeException e) {
            throw new LaemException(where + ": " + raisedOr(e.getMessage()));
        }
        for (TemplateError err : r.getErrors()) {
            if (err.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new LaemException(where + ": " + raisedOr(err.getMessage()));
            }
        }
        return r.getOutput();
    }

    private static String raisedOr(String message) {
        String raised = RAISED.get();
        RAISED.remove();
        return raised != null ? "the template refuses this conversation: " + raised : message;
    }
}
