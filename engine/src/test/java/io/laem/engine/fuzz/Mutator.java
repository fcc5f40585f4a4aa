package io.laem.engine.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mutations of a valid JSON or YAML input: edits of its tree (drop, duplicate, rename or move a key,
 * a value of another type, odd and huge numbers, NaN and infinity, deep nesting) and of its bytes
 * (flips, truncation, inserted characters, random bytes). Deterministic for a random source.
 */
final class Mutator {
    private static final String NON_FINITE = "zzNONFINITEzz";
    private static final String DEEP = "zzDEEPzz";
    private static final String DUP = "zzDUPzz";
    private static final String[] ODD_NUMBERS = {"1e400", "-1e400", "1e-400", "0", "-1", "-0.0", "2147483648", "-2147483649",
        "9223372036854775808", "99999999999999999999999", "1.5", "4", "1", "65536"};
    private static final String[] NON_FINITE_JSON = {"NaN", "Infinity", "-Infinity", "+INF", "-NaN"};
    private static final String[] NON_FINITE_YAML = {".nan", ".inf", "-.inf", ".NaN", ".Inf", "+.inf"};
    private static final String[] ODD_TEXT = {"{", "}", "[", "]", ",", ":", "\"", "'", "\\", "\n", "\r\n", "\t", "\u0000", "#", "&a", "*a",
        "!!binary", "---", "- ", "? ", "|", ">", "%", "@", "`", "\uD83D\uDE00", "\u00e9", "\uFFFF", "null", "~", "1e400", ".nan", "NaN"};

    private final SplittableRandom rnd;
    private final boolean yaml;

    Mutator(SplittableRandom rnd, boolean yaml) {
        this.rnd = rnd;
        this.yaml = yaml;
    }

    /** One to three mutations of {@code seed}. */
    byte[] mutate(String seed) {
        byte[] out = once(seed);
        for (int extra = rnd.nextInt(3); extra > 0 && rnd.nextBoolean(); extra--) {
            out = once(new String(out, StandardCharsets.UTF_8));
        }
        return out;
    }

    private byte[] once(String text) {
        int op = rnd.nextInt(10);
        if (op < 6) {
            JsonNode tree = parse(text);
            if (tree != null && (tree.isContainerNode() && !tree.isEmpty())) {
                return treeEdit(tree).getBytes(StandardCharsets.UTF_8);
            }
        }
        return byteEdit(text.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode parse(String text) {
        try {
            return (yaml ? Json.YAML : Json.JSON).readTree(text);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A place in the tree: a field of an object or an element of an array. */
    private record Slot(JsonNode parent, String field, int index) {
        JsonNode get() {
            return field != null ? parent.get(field) : parent.get(index);
        }

        void set(JsonNode v) {
            if (field != null) {
                ((ObjectNode) parent).set(field, v);
            } else {
                ((ArrayNode) parent).set(index, v);
            }
        }

        void remove() {
            if (field != null) {
                ((ObjectNode) parent).remove(field);
            } else {
                ((ArrayNode) parent).remove(index);
            }
        }
    }

    private static void collect(JsonNode n, List<Slot> out) {
        if (n.isObject()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                out.add(new Slot(n, f, -1));
                collect(n.get(f), out);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                out.add(new Slot(n, null, i));
                collect(n.get(i), out);
            }
        }
    }

    private String treeEdit(JsonNode tree) {
        List<Slot> slots = new ArrayList<>();
        collect(tree, slots);
        Slot s = slots.get(rnd.nextInt(slots.size()));
        JsonNodeFactory f = JsonNodeFactory.instance;
        String dupKey = null;
        String deep = null;
        switch (rnd.nextInt(9)) {
            case 0 -> s.remove();
            case 1 -> s.set(otherValue(f));
            case 2 -> s.set(f.textNode("zzNUM" + ODD_NUMBERS[rnd.nextInt(ODD_NUMBERS.length)] + "zz"));
            case 3 -> s.set(f.textNode(NON_FINITE));
            case 4 -> {
                s.set(f.textNode(DEEP));
                deep = nested(new int[] {10, 63, 65, 200, 3000}[rnd.nextInt(5)]);
            }
            case 5 -> {
                // a second entry for an existing key of an object (strict parsers refuse it; others keep the last)
                List<Slot> fields = slots.stream().filter(x -> x.field() != null).toList();
                if (fields.isEmpty()) {
                    s.set(otherValue(f));
                } else {
                    Slot k = fields.get(rnd.nextInt(fields.size()));
                    ((ObjectNode) k.parent()).set(DUP, k.get().deepCopy());
                    dupKey = k.field();
                }
            }
            case 6 -> {
                // rename a key, to a random one or to another key of the file
                if (s.field() != null) {
                    JsonNode v = s.get();
                    s.remove();
                    String name = rnd.nextBoolean() ? slots.get(rnd.nextInt(slots.size())).field() : randomText(6);
                    ((ObjectNode) s.parent()).set(name == null ? "x" : name, v);
                } else {
                    s.remove();
                }
            }
            case 7 -> {
                // move a value into another object or array
                Slot to = slots.get(rnd.nextInt(slots.size()));
                JsonNode v = s.get().deepCopy();
                if (to.get().isObject()) {
                    ((ObjectNode) to.get()).set(s.field() != null ? s.field() : "x", v);
                } else if (to.get().isArray()) {
                    ((ArrayNode) to.get()).add(v);
                } else {
                    to.set(v);
                }
            }
            default -> {
                // the whole document replaced by a value of another kind
                return render(rnd.nextBoolean() ? f.arrayNode().add(tree) : otherValue(f), null, null);
            }
        }
        return render(tree, dupKey, deep);
    }

    private JsonNode otherValue(JsonNodeFactory f) {
        return switch (rnd.nextInt(14)) {
            case 0 -> f.textNode("x");
            case 1 -> f.textNode("");
            case 2 -> f.numberNode(0);
            case 3 -> f.numberNode(-1);
            case 4 -> f.numberNode(1.5);
            case 5 -> f.booleanNode(rnd.nextBoolean());
            case 6 -> f.nullNode();
            case 7 -> f.arrayNode();
            case 8 -> f.objectNode();
            case 9 -> f.arrayNode().add(1).add("a").addNull();
            case 10 -> f.objectNode().put("a", 1);
            case 11 -> f.textNode("y".repeat(20_000));
            case 12 -> f.textNode(randomText(8));
            default -> f.numberNode(rnd.nextLong());
        };
    }

    private String nested(int depth) {
        String open = rnd.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        return open.repeat(depth) + "1" + close.repeat(depth);
    }

    private String render(JsonNode tree, String dupKey, String deep) {
        ObjectMapper m = yaml && rnd.nextBoolean() ? Json.YAML : Json.JSON; // JSON text is YAML too
        String s;
        try {
            s = m.writeValueAsString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String nonFinite = yaml ? NON_FINITE_YAML[rnd.nextInt(NON_FINITE_YAML.length)] : NON_FINITE_JSON[rnd.nextInt(NON_FINITE_JSON.length)];
        s = s.replace("\"" + NON_FINITE + "\"", nonFinite).replace(NON_FINITE, nonFinite);
        if (deep != null) {
            s = s.replace("\"" + DEEP + "\"", deep).replace(DEEP, deep);
        }
        if (dupKey != null) {
            s = s.replace("\"" + DUP + "\"", Json.JSON.getNodeFactory().textNode(dupKey).toString()).replace(DUP, dupKey);
        }
        // odd numbers were placed as text so that the writer keeps them as typed
        return s.replaceAll("[\"']?zzNUM([^z]*)zz[\"']?", "$1");
    }

    private String randomText(int max) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(1, max + 1);
        for (int i = 0; i < n; i++) {
            sb.append(rnd.nextInt(4) == 0 ? ODD_TEXT[rnd.nextInt(ODD_TEXT.length)] : String.valueOf((char) rnd.nextInt(' ', '~' + 1)));
        }
        return sb.toString();
    }

    private byte[] byteEdit(byte[] b) {
        switch (rnd.nextInt(5)) {
            case 0 -> {
                byte[] c = b.clone();
                for (int i = rnd.nextInt(1, 5); i > 0 && c.length > 0; i--) {
                    c[rnd.nextInt(c.length)] = (byte) rnd.nextInt(256);
                }
                return c;
            }
            case 1 -> {
                return java.util.Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
            }
            case 2, 3 -> {
                String s = new String(b, StandardCharsets.UTF_8);
                int at = s.isEmpty() ? 0 : rnd.nextInt(s.length() + 1);
                return (s.substring(0, at) + randomText(4) + s.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
            default -> {
                byte[] r = new byte[rnd.nextInt(0, 64)];
                for (int i = 0; i < r.length; i++) {
                    r[i] = (byte) rnd.nextInt(256);
                }
                return r;
            }
        }
    }
}
