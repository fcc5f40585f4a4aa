package io.laem.engine.infer;

import io.laem.engine.LaemException;
import io.laem.engine.jinja.JinjaCallable;
import io.laem.engine.jinja.JinjaException;
import io.laem.engine.jinja.JinjaTemplate;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's chat template rendered as transformers' {@code apply_chat_template} renders it: the engine's
 * sandboxed Jinja2 interpreter ({@link JinjaTemplate}), variables {@code messages}, {@code tools} and
 * {@code documents} (None), {@code add_generation_prompt}, the special tokens of tokenizer_config.json
 * ({@code bos_token}, {@code eos_token}, ...), extra options such as Qwen3's {@code enable_thinking},
 * and the functions {@code raise_exception(msg)} and {@code strftime_now(format)}.
 */
public final class ChatTemplate {
    /** One chat message. */
    public record Message(String role, String content) {
        Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", content);
            return m;
        }
    }

    private final String where;
    private final String source;
    private final Map<String, String> specialTokens;
    private final Clock clock;
    private JinjaTemplate parsed;

    /** {@code where} names the file and field in errors; {@code specialTokens} maps e.g. bos_token to its text. */
    public ChatTemplate(String where, String source, Map<String, String> specialTokens) {
        this(where, source, specialTokens, Clock.systemDefaultZone());
    }

    public ChatTemplate(String where, String source) {
        this(where, source, Map.of());
    }

    private ChatTemplate(String where, String source, Map<String, String> specialTokens, Clock clock) {
        this.where = where;
        this.source = source;
        this.specialTokens = Map.copyOf(specialTokens);
        this.clock = clock;
    }

    /** The same template reading the date for {@code strftime_now} from {@code clock} (tests fix it). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(where, source, specialTokens, clock);
    }

    public String source() {
        return source;
    }

    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The prompt text for a conversation. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** The prompt text with template options, e.g. {@code enable_thinking=false} for Qwen3. */
    public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, ?> options) {
        List<Map<String, Object>> ms = new ArrayList<>();
        messages.forEach(m -> ms.add(m.asMap()));
        return renderMessages(ms, addGenerationPrompt, options);
    }

    /** Renders messages given as maps (any fields: {@code reasoning_content}, {@code tool_calls}, ...). */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> options) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putAll(specialTokens);
        vars.putAll(options);
        vars.put("raise_exception", (JinjaCallable) (args, kw) -> {
            throw JinjaTemplate.raise(args.isEmpty() ? "" : String.valueOf(args.get(0)));
        });
        vars.put("strftime_now", (JinjaCallable) (args, kw) -> strftime(String.valueOf(args.get(0)), LocalDateTime.now(clock)));
        try {
            return template().render(vars);
        } catch (JinjaException e) {
            throw new LaemException(where + ": " + (e.raised() ? "the template refuses this conversation: " : "") + e.getMessage());
        }
    }

    private synchronized JinjaTemplate template() {
        if (parsed == null) {
            try {
                parsed = JinjaTemplate.parse(source);
            } catch (JinjaException e) {
                throw new LaemException(where + ": " + e.getMessage());
            }
        }
        return parsed;
    }

    /** Python's {@code datetime.strftime} for the directives templates use (C locale). */
    static String strftime(String format, LocalDateTime t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'd' -> b.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> b.append(t.getYear());
                case 'y' -> b.append(String.format("%02d", t.getYear() % 100));
                case 'b' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'H' -> b.append(String.format("%02d", t.getHour()));
                case 'I' -> b.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'M' -> b.append(String.format("%02d", t.getMinute()));
                case 'S' -> b.append(String.format("%02d", t.getSecond()));
                case 'j' -> b.append(String.format("%03d", t.getDayOfYear()));
                case '%' -> b.append('%');
                default -> b.append('%').append(d);
            }
        }
        return b.toString();
    }
}
