package io.laem.engine.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Jinja2 template as Hugging Face chat templates are written, rendered as transformers renders them
 * ({@code ImmutableSandboxedEnvironment} with {@code trim_blocks}, {@code lstrip_blocks} and the
 * {@code loopcontrols} extension). A sandbox by construction: a template sees only the data it is given,
 * the built-in filters and tests, read-only str/dict/list methods and the functions the host adds; it
 * cannot reach Java objects, files or the network. Parsed once, rendered from any thread.
 */
public final class JinjaTemplate {
    private final List<Node> body;

    private JinjaTemplate(List<Node> body) {
        this.body = body;
    }

    /** Parses a template; a syntax error is a {@link JinjaException} naming the line. */
    public static JinjaTemplate parse(String source) {
        try {
            return new JinjaTemplate(Parser.parse(Lexer.tokenize(source, true, true)));
        } catch (JinjaException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new JinjaException("cannot parse the template: " + describe(e));
        }
    }

    /** A one-line reason for a failure inside the interpreter (a template bug, never a Java trace). */
    static String describe(Throwable e) {
        if (e instanceof StackOverflowError) {
            return "nesting or recursion too deep";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    /**
     * Renders with these variables: String, Boolean, Long/Integer, Double, null, List, Map with String keys
     * (insertion order kept), {@link JsonNode} trees, and {@link JinjaCallable} functions.
     */
    public String render(Map<String, ?> vars) {
        Map<String, Object> v = new LinkedHashMap<>();
        vars.forEach((k, x) -> v.put(k, value(x)));
        try {
            return new Interpreter(v).render(body);
        } catch (JinjaException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new JinjaException("cannot render the template: " + describe(e));
        }
    }

    /** A refusal the template raises itself, for hosts registering {@code raise_exception}. */
    public static JinjaException raise(String message) {
        return new JinjaException(message, true);
    }

    private static Object value(Object x) {
        if (x instanceof JsonNode n) {
            return json(n);
        }
        if (x instanceof Integer i) {
            return i.longValue();
        }
        if (x instanceof Float f) {
            return f.doubleValue();
        }
        if (x instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, y) -> out.put(String.valueOf(k), value(y)));
            return out;
        }
        if (x instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(y -> out.add(value(y)));
            return out;
        }
        return x;
    }

    private static Object json(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>();
            n.forEach(c -> out.add(json(c)));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        n.properties().forEach(e -> out.put(e.getKey(), json(e.getValue())));
        return out;
    }
}
