package io.laem.engine.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a sandboxed Jinja2 environment lets a template reach: the built-in filters and tests, the read-only
 * methods of str, dict and list (mutating ones are refused as in {@code ImmutableSandboxedEnvironment}),
 * and the globals {@code range}, {@code dict}, {@code namespace}. Nothing else of Java is reachable.
 */
final class Builtins {
    private Builtins() {}

    /** Sandbox bound, as Jinja2's {@code MAX_RANGE}. */
    static final int MAX_RANGE = 100_000;

    private static final Set<String> STR_METHODS = Set.of("startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip",
            "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "join", "isdigit", "isalpha",
            "isalnum", "isspace", "isupper", "islower", "splitlines", "removeprefix", "removesuffix", "casefold", "swapcase", "zfill",
            "center", "ljust", "rjust", "partition", "rpartition");
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get", "copy");
    private static final Set<String> LIST_METHODS = Set.of("index", "count");
    private static final Set<String> MUTATING = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
            "update", "setdefault", "popitem");

    /** A str/dict/list method bound to its receiver. */
    record Method(Object self, String name) implements JinjaCallable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return callMethod(self, name, args, kwargs);
        }
    }

    /** Jinja2's {@code getattr(obj, name)}: methods first, then the key of a dict; missing is undefined. */
    static Object attribute(Object obj, String name) {
        Py.undefinedCheck(obj);
        if (name.startsWith("_")) {
            return new Undefined("access to attribute '" + name + "' of '" + Py.typeName(obj) + "' object is unsafe");
        }
        if (obj instanceof String && STR_METHODS.contains(name)) {
            return new Method(obj, name);
        }
        if (obj instanceof Map<?, ?> m) {
            if (DICT_METHODS.contains(name)) {
                return new Method(obj, name);
            }
            if (MUTATING.contains(name)) {
                return unsafe(obj, name);
            }
            return m.containsKey(name) ? m.get(name) : Undefined.attribute(obj, name);
        }
        if (obj instanceof List) {
            if (LIST_METHODS.contains(name)) {
                return new Method(obj, name);
            }
            if (MUTATING.contains(name)) {
                return unsafe(obj, name);
            }
        }
        if (obj instanceof Namespace n) {
            return n.attrs.containsKey(name) ? n.attrs.get(name) : Undefined.attribute(obj, name);
        }
        if (obj instanceof Interpreter.Loop l) {
            return l.attribute(name);
        }
        return Undefined.attribute(obj, name);
    }

    private static Undefined unsafe(Object obj, String name) {
        return new Undefined("access to attribute '" + name + "' of '" + Py.typeName(obj) + "' object is unsafe");
    }

    private static Object arg(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kwargs.containsKey(name) ? kwargs.get(name) : dflt;
    }

    private static String strArg(List<Object> args, Map<String, Object> kwargs, int i, String name) {
        Object o = arg(args, kwargs, i, name, null);
        if (o != null && !(o instanceof String)) {
            throw new JinjaException(name + " must be None or str, not " + Py.typeName(o));
        }
        return (String) o;
    }

    // ---- methods

    static Object callMethod(Object self, String name, List<Object> a, Map<String, Object> kw) {
        if (self instanceof String s) {
            return stringMethod(s, name, a, kw);
        }
        if (self instanceof Map<?, ?> m) {
            switch (name) {
                case "items" -> {
                    List<Object> l = new ArrayList<>();
                    m.forEach((k, v) -> l.add(new Py.Tuple(java.util.Arrays.asList(k, v))));
                    return l;
                }
                case "keys" -> {
                    return new ArrayList<Object>(m.keySet());
                }
                case "values" -> {
                    return new ArrayList<Object>(m.values());
                }
                case "get" -> {
                    Object k = arg(a, kw, 0, "key", null);
                    return m.containsKey(k) ? m.get(k) : arg(a, kw, 1, "default", null);
                }
                case "copy" -> {
                    return new LinkedHashMap<>(m);
                }
                default -> {
                }
            }
        }
        if (self instanceof List<?> l) {
            Object x = arg(a, kw, 0, "value", null);
            if (name.equals("count")) {
                return l.stream().filter(o -> Py.eq(o, x)).count();
            }
            for (int i = 0; i < l.size(); i++) {
                if (Py.eq(l.get(i), x)) {
                    return (long) i;
                }
            }
            throw new JinjaException(Py.repr(x) + " is not in list");
        }
        throw new JinjaException("'" + Py.typeName(self) + "' object has no method '" + name + "'");
    }

    private static Object stringMethod(String s, String name, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "startswith", "endswith" -> {
                Object p = arg(a, kw, 0, "prefix", null);
                String sub = slice(s, arg(a, kw, 1, "start", null), arg(a, kw, 2, "end", null));
                List<Object> options = p instanceof Py.Tuple t ? t : List.of(p == null ? "None" : p);
                for (Object o : options) {
                    if (!(o instanceof String x)) {
                        throw new JinjaException(name + " first arg must be str or a tuple of str, not " + Py.typeName(o));
                    }
                    if (name.equals("startswith") ? sub.startsWith(x) : sub.endsWith(x)) {
                        return true;
                    }
                }
                return false;
            }
            case "strip" -> {
                return Py.strip(s, strArg(a, kw, 0, "chars"));
            }
            case "lstrip" -> {
                return Py.lstrip(s, strArg(a, kw, 0, "chars"));
            }
            case "rstrip" -> {
                return Py.rstrip(s, strArg(a, kw, 0, "chars"));
            }
            case "split", "rsplit" -> {
                String sep = strArg(a, kw, 0, "sep");
                long max = Py.asLong(arg(a, kw, 1, "maxsplit", -1L));
                return name.equals("split") ? split(s, sep, max) : rsplit(s, sep, max);
            }
            case "upper" -> {
                return s.toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return s.toLowerCase(Locale.ROOT);
            }
            case "casefold" -> {
                return s.toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                return pyTitle(s);
            }
            case "capitalize" -> {
                return capitalize(s);
            }
            case "swapcase" -> {
                StringBuilder b = new StringBuilder();
                s.codePoints().forEach(c -> b.appendCodePoint(Character.isUpperCase(c) ? Character.toLowerCase(c)
                        : Character.isLowerCase(c) ? Character.toUpperCase(c) : c));
                return b.toString();
            }
            case "replace" -> {
                String old = (String) arg(a, kw, 0, "old", "");
                String rep = (String) arg(a, kw, 1, "new", "");
                return replace(s, old, rep, Py.asLong(arg(a, kw, 2, "count", -1L)));
            }
            case "find", "index", "rfind", "rindex" -> {
                String sub = (String) arg(a, kw, 0, "sub", "");
                int[] cps = Py.codePoints(s);
                long start = arg(a, kw, 1, "start", null) == null ? 0 : Py.asLong(a.get(1));
                String hay = slice(s, arg(a, kw, 1, "start", null), arg(a, kw, 2, "end", null));
                int at = name.startsWith("r") ? hay.lastIndexOf(sub) : hay.indexOf(sub);
                if (at < 0) {
                    if (name.endsWith("index")) {
                        throw new JinjaException("substring not found");
                    }
                    return -1L;
                }
                long offset = start < 0 ? Math.max(0, cps.length + start) : Math.min(start, cps.length);
                return offset + hay.codePointCount(0, at);
            }
            case "count" -> {
                String sub = (String) arg(a, kw, 0, "sub", "");
                if (sub.isEmpty()) {
                    return Py.length(s) + 1;
                }
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                    n++;
                }
                return n;
            }
            case "join" -> {
                StringBuilder b = new StringBuilder();
                List<Object> items = Py.iterate(arg(a, kw, 0, "iterable", List.of()));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String x)) {
                        throw new JinjaException("sequence item " + i + ": expected str instance, " + Py.typeName(items.get(i)) + " found");
                    }
                    b.append(i > 0 ? s : "").append(x);
                }
                return b.toString();
            }
            case "isdigit" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return !s.isEmpty() && Py.isAllSpace(s);
            }
            case "isupper" -> {
                return s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            }
            case "islower" -> {
                return s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            }
            case "splitlines" -> {
                List<Object> l = new ArrayList<>();
                boolean keep = Py.truthy(arg(a, kw, 0, "keepends", false));
                int start = 0;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028
                            || c == 0x2029) {
                        int end = i;
                        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                            i++;
                        }
                        l.add(s.substring(start, keep ? i + 1 : end));
                        start = i + 1;
                    }
                }
                if (start < s.length()) {
                    l.add(s.substring(start));
                }
                return l;
            }
            case "removeprefix" -> {
                String p = (String) arg(a, kw, 0, "prefix", "");
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = (String) arg(a, kw, 0, "suffix", "");
                return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "zfill" -> {
                long w = Py.asLong(arg(a, kw, 0, "width", 0L));
                long pad = w - Py.length(s);
                if (pad <= 0) {
                    return s;
                }
                boolean signed = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
                return signed ? s.charAt(0) + "0".repeat((int) pad) + s.substring(1) : "0".repeat((int) pad) + s;
            }
            case "center", "ljust", "rjust" -> {
                long w = Py.asLong(arg(a, kw, 0, "width", 0L));
                String fill = (String) arg(a, kw, 1, "fillchar", " ");
                long pad = w - Py.length(s);
                if (pad <= 0) {
                    return s;
                }
                if (name.equals("ljust")) {
                    return s + fill.repeat((int) pad);
                }
                if (name.equals("rjust")) {
                    return fill.repeat((int) pad) + s;
                }
                long left = pad / 2 + (pad & w & 1);
                return fill.repeat((int) left) + s + fill.repeat((int) (pad - left));
            }
            case "partition", "rpartition" -> {
                String sep = (String) arg(a, kw, 0, "sep", "");
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) {
                    return name.equals("partition") ? new Py.Tuple(List.of(s, "", "")) : new Py.Tuple(List.of("", "", s));
                }
                return new Py.Tuple(List.of(s.substring(0, i), sep, s.substring(i + sep.length())));
            }
            default -> throw new JinjaException("'str' object has no attribute '" + name + "'");
        }
    }

    private static String slice(String s, Object start, Object end) {
        if (start == null && end == null) {
            return s;
        }
        return (String) Py.slice(s, start, end, null);
    }

    static List<Object> split(String s, String sep, long max) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(Py.rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new JinjaException("empty separator");
        }
        int start = 0;
        while (max < 0 || out.size() < max) {
            int i = s.indexOf(sep, start);
            if (i < 0) {
                break;
            }
            out.add(s.substring(start, i));
            start = i + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long max) {
        if (max < 0) {
            return split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && Py.isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j <= 0) {
                    break;
                }
                if (out.size() == max) {
                    out.add(0, Py.lstrip(s.substring(0, j), null));
                    break;
                }
                int i = j;
                while (i > 0 && !Py.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(0, s.substring(i, j));
                j = i;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new JinjaException("empty separator");
        }
        int end = s.length();
        while (out.size() < max) {
            int i = s.lastIndexOf(sep, end - sep.length());
            if (i < 0) {
                break;
            }
            out.add(0, s.substring(i + sep.length(), end));
            end = i;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int start = 0;
        for (long n = 0; n < count; n++) {
            int i = old.isEmpty() ? (start <= s.length() ? start : -1) : s.indexOf(old, start);
            if (i < 0) {
                break;
            }
            b.append(s, start, i).append(rep);
            if (old.isEmpty()) {
                if (i < s.length()) {
                    int c = s.codePointAt(i);
                    b.appendCodePoint(c);
                    start = i + Character.charCount(c);
                } else {
                    start = i + 1;
                }
            } else {
                start = i + old.length();
            }
        }
        if (start <= s.length()) {
            b.append(s.substring(start));
        }
        return b.toString();
    }

    private static boolean cased(int c) {
        return Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }

    private static String pyTitle(String s) {
        StringBuilder b = new StringBuilder();
        boolean prevCased = false;
        for (int c : Py.codePoints(s)) {
            b.appendCodePoint(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            prevCased = cased(c);
        }
        return b.toString();
    }

    private static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT)).toString();
    }

    // ---- filters

    static Object filter(String name, Object v, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "trim" -> {
                return Py.strip(Py.str(v), strArg(a, kw, 0, "chars"));
            }
            case "length", "count" -> {
                return Py.length(v);
            }
            case "list" -> {
                return Py.iterate(v);
            }
            case "string" -> {
                return Py.str(v);
            }
            case "safe" -> {
                return v;
            }
            case "upper" -> {
                return Py.str(v).toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return Py.str(v).toLowerCase(Locale.ROOT);
            }
            case "capitalize" -> {
                return capitalize(Py.str(v));
            }
            case "title" -> {
                StringBuilder b = new StringBuilder();
                for (String part : Py.str(v).split("(?<=[-\\s(\\{\\[<])(?=[^-\\s(\\{\\[<])|(?<=[^-\\s(\\{\\[<])(?=[-\\s(\\{\\[<])")) {
                    b.append(part.isEmpty() ? "" : capitalize(part));
                }
                return b.toString();
            }
            case "tojson" -> {
                Object sep = arg(a, kw, 2, "separators", null);
                String is = null;
                String ks = null;
                if (sep instanceof List<?> l && l.size() == 2) {
                    is = (String) l.get(0);
                    ks = (String) l.get(1);
                }
                return Py.toJson(v, Py.truthy(arg(a, kw, 0, "ensure_ascii", false)), arg(a, kw, 1, "indent", null), is, ks,
                        Py.truthy(arg(a, kw, 3, "sort_keys", false)));
            }
            case "join" -> {
                String d = Py.str(arg(a, kw, 0, "d", ""));
                Object attr = arg(a, kw, 1, "attribute", null);
                StringBuilder b = new StringBuilder();
                List<Object> items = Py.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    Object x = attr == null ? items.get(i) : path(items.get(i), Py.str(attr));
                    b.append(i > 0 ? d : "").append(Py.str(x));
                }
                return b.toString();
            }
            case "default", "d" -> {
                Object dflt = arg(a, kw, 0, "default_value", "");
                boolean bool = Py.truthy(arg(a, kw, 1, "boolean", false));
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "replace" -> {
                return replace(Py.str(v), Py.str(arg(a, kw, 0, "old", "")), Py.str(arg(a, kw, 1, "new", "")),
                        arg(a, kw, 2, "count", null) == null ? -1 : Py.asLong(arg(a, kw, 2, "count", null)));
            }
            case "first" -> {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? new Undefined("No first item, sequence was empty.") : l.get(0);
            }
            case "last" -> {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? new Undefined("No last item, sequence was empty.") : l.get(l.size() - 1);
            }
            case "reverse" -> {
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> l = Py.iterate(v);
                java.util.Collections.reverse(l);
                return l;
            }
            case "items" -> {
                if (v instanceof Undefined) {
                    return List.of();
                }
                if (!(v instanceof Map)) {
                    throw new JinjaException("Can only get item pairs from a mapping.");
                }
                return callMethod(v, "items", List.of(), Map.of());
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) {
                    throw new JinjaException("dictsort requires a mapping");
                }
                boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
                int pos = "value".equals(arg(a, kw, 1, "by", "key")) ? 1 : 0;
                @SuppressWarnings("unchecked")
                List<Object> items = (List<Object>) callMethod(m, "items", List.of(), Map.of());
                items.sort(sortKey(x -> ((List<?>) x).get(pos), cs));
                if (Py.truthy(arg(a, kw, 2, "reverse", false))) {
                    java.util.Collections.reverse(items);
                }
                return items;
            }
            case "sort" -> {
                List<Object> l = Py.iterate(v);
                Object attr = arg(a, kw, 2, "attribute", null);
                l.sort(sortKey(x -> attr == null ? x : path(x, Py.str(attr)), Py.truthy(arg(a, kw, 1, "case_sensitive", false))));
                if (Py.truthy(arg(a, kw, 0, "reverse", false))) {
                    java.util.Collections.reverse(l);
                }
                return l;
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    Object key = x instanceof String s && !Py.truthy(arg(a, kw, 0, "case_sensitive", false)) ? s.toLowerCase(Locale.ROOT) : x;
                    if (out.stream().noneMatch(y -> Py.eq(y instanceof String s && !Py.truthy(arg(a, kw, 0, "case_sensitive", false))
                            ? s.toLowerCase(Locale.ROOT) : y, key))) {
                        out.add(x);
                    }
                }
                return out;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (kw.containsKey("attribute")) {
                    for (Object x : Py.iterate(v)) {
                        Object y = path(x, Py.str(kw.get("attribute")));
                        out.add(y instanceof Undefined && kw.containsKey("default") ? kw.get("default") : y);
                    }
                    return out;
                }
                String f = Py.str(a.get(0));
                for (Object x : Py.iterate(v)) {
                    out.add(filter(f, x, a.subList(1, a.size()), kw));
                }
                return out;
            }
            case "select", "reject", "selectattr", "rejectattr" -> {
                boolean attr = name.endsWith("attr");
                boolean keep = name.startsWith("select");
                String attrName = attr ? Py.str(a.get(0)) : null;
                int t = attr ? 1 : 0;
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    Object y = attr ? path(x, attrName) : x;
                    boolean ok = a.size() > t ? test(Py.str(a.get(t)), y, a.subList(t + 1, a.size())) : Py.truthy(y);
                    if (ok == keep) {
                        out.add(x);
                    }
                }
                return out;
            }
            case "sum" -> {
                Object total = arg(a, kw, 1, "start", 0L);
                Object attr = arg(a, kw, 0, "attribute", null);
                for (Object x : Py.iterate(v)) {
                    total = Py.add(total, attr == null ? x : path(x, Py.str(attr)));
                }
                return total;
            }
            case "min", "max" -> {
                List<Object> l = Py.iterate(v);
                if (l.isEmpty()) {
                    return new Undefined("No aggregated item, sequence was empty.");
                }
                Object attr = arg(a, kw, 1, "attribute", null);
                Comparator<Object> c = sortKey(x -> attr == null ? x : path(x, Py.str(attr)), Py.truthy(arg(a, kw, 0, "case_sensitive", false)));
                Object best = l.get(0);
                for (Object x : l) {
                    int cmp = c.compare(x, best);
                    if (name.equals("min") ? cmp < 0 : cmp > 0) {
                        best = x;
                    }
                }
                return best;
            }
            case "abs" -> {
                return Py.isInt(v) ? (Object) Math.abs(Py.asLong(v)) : (Object) Math.abs(Py.asDouble(Py.undefinedCheck(v)));
            }
            case "int" -> {
                try {
                    if (Py.isNumber(v)) {
                        return Py.isInt(v) ? Py.asLong(v) : (long) Py.asDouble(v);
                    }
                    String s = Py.strip(Py.str(v), null).replace("_", "");
                    try {
                        return Long.parseLong(s, (int) Py.asLong(arg(a, kw, 1, "base", 10L)));
                    } catch (NumberFormatException e) {
                        return (long) Double.parseDouble(s);
                    }
                } catch (RuntimeException e) {
                    return arg(a, kw, 0, "default", 0L);
                }
            }
            case "float" -> {
                try {
                    return Py.isNumber(v) ? Py.asDouble(v) : Double.parseDouble(Py.strip(Py.str(v), null));
                } catch (RuntimeException e) {
                    return arg(a, kw, 0, "default", 0.0);
                }
            }
            case "round" -> {
                long precision = Py.asLong(arg(a, kw, 0, "precision", 0L));
                String method = Py.str(arg(a, kw, 1, "method", "common"));
                double x = Py.asDouble(Py.undefinedCheck(v));
                double f = Math.pow(10, precision);
                double r = switch (method) {
                    case "ceil" -> Math.ceil(x * f) / f;
                    case "floor" -> Math.floor(x * f) / f;
                    default -> new java.math.BigDecimal(x).setScale((int) precision, java.math.RoundingMode.HALF_EVEN)
                            .doubleValue();
                };
                return r;
            }
            case "indent" -> {
                Object w = arg(a, kw, 0, "width", 4L);
                String ind = w instanceof String s ? s : " ".repeat((int) Py.asLong(w));
                boolean first = Py.truthy(arg(a, kw, 1, "first", false));
                boolean blank = Py.truthy(arg(a, kw, 2, "blank", false));
                String s = Py.str(v) + "\n";
                List<Object> lines = (List<Object>) stringMethod(s, "splitlines", List.of(), Map.of());
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < lines.size(); i++) {
                    String line = (String) lines.get(i);
                    if (i > 0) {
                        b.append("\n");
                    }
                    b.append((i > 0 || first) && (blank || !line.isEmpty()) ? ind + line : line);
                }
                return b.toString();
            }
            case "e", "escape" -> {
                return Py.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;")
                        .replace("'", "&#39;");
            }
            case "attr" -> {
                return attribute(v, Py.str(a.get(0)));
            }
            case "wordcount" -> {
                return (long) split(Py.str(v), null, -1).size();
            }
            case "center" -> {
                return stringMethod(Py.str(v), "center", List.of(arg(a, kw, 0, "width", 80L)), Map.of());
            }
            default -> throw new JinjaException("no filter named '" + name + "'");
        }
    }

    /** {@code a.b.c} lookups as Jinja2's attribute filters do (integers index lists). */
    private static Object path(Object o, String dotted) {
        for (String part : dotted.split("\\.")) {
            o = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? Py.getItem(o, Long.parseLong(part)) : Py.getItem(o, part);
        }
        return o;
    }

    private static Comparator<Object> sortKey(java.util.function.Function<Object, Object> key, boolean caseSensitive) {
        return (x, y) -> {
            Object kx = key.apply(x);
            Object ky = key.apply(y);
            if (!caseSensitive && kx instanceof String s && ky instanceof String t) {
                return Py.compareCodePoints(s.toLowerCase(Locale.ROOT), t.toLowerCase(Locale.ROOT));
            }
            return Py.compare(kx, ky, "<");
        };
    }

    // ---- tests

    static boolean test(String name, Object v, List<Object> a) {
        Object x = a.isEmpty() ? null : a.get(0);
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "boolean" -> v instanceof Boolean;
            case "string" -> v instanceof String;
            case "number" -> Py.isNumber(v);
            case "integer" -> v instanceof Long || v instanceof Integer;
            case "float" -> v instanceof Double;
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "sequence" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "callable" -> v instanceof JinjaCallable;
            case "sameas" -> v == x || (v instanceof Boolean && v.equals(x)) || (v == null && x == null);
            case "eq", "equalto", "==" -> Py.eq(v, x);
            case "ne", "!=" -> !Py.eq(v, x);
            case "lt", "lessthan", "<" -> Py.compare(v, x, "<") < 0;
            case "le", "<=" -> Py.compare(v, x, "<=") <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, x, ">") > 0;
            case "ge", ">=" -> Py.compare(v, x, ">=") >= 0;
            case "in" -> Py.contains(x, v);
            case "odd" -> Py.asLong(Py.undefinedCheck(v)) % 2 != 0;
            case "even" -> Py.asLong(Py.undefinedCheck(v)) % 2 == 0;
            case "divisibleby" -> Py.asLong(Py.undefinedCheck(v)) % Py.asLong(x) == 0;
            case "lower" -> Py.str(v).equals(Py.str(v).toLowerCase(Locale.ROOT));
            case "upper" -> Py.str(v).equals(Py.str(v).toUpperCase(Locale.ROOT));
            case "escaped" -> false;
            default -> throw new JinjaException("no test named '" + name + "'");
        };
    }

    // ---- globals

    static Map<String, Object> globals() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("range", (JinjaCallable) (a, kw) -> {
            long start = a.size() > 1 ? Py.asLong(a.get(0)) : 0;
            long stop = a.size() > 1 ? Py.asLong(a.get(1)) : Py.asLong(a.get(0));
            long step = a.size() > 2 ? Py.asLong(a.get(2)) : 1;
            if (step == 0) {
                throw new JinjaException("range() arg 3 must not be zero");
            }
            List<Object> l = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                if (l.size() >= MAX_RANGE) {
                    throw new JinjaException("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + MAX_RANGE + ").");
                }
                l.add(i);
            }
            return l;
        });
        g.put("dict", (JinjaCallable) (a, kw) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            if (!a.isEmpty() && a.get(0) instanceof Map<?, ?> src) {
                src.forEach((k, v) -> m.put(Py.str(k), v));
            }
            m.putAll(kw);
            return m;
        });
        g.put("namespace", (JinjaCallable) (a, kw) -> {
            Namespace n = new Namespace();
            if (!a.isEmpty() && a.get(0) instanceof Map<?, ?> src) {
                src.forEach((k, v) -> n.attrs.put(Py.str(k), v));
            }
            n.attrs.putAll(kw);
            return n;
        });
        return g;
    }
}
