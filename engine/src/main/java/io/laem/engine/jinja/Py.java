package io.laem.engine.jinja;

import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics for the values a template sees: None (null), bool, int (Long), float (Double), str
 * (indexed by code point), list, tuple, dict (insertion-ordered Map), plus {@link Undefined}. Printing,
 * equality, ordering, arithmetic and {@code json.dumps} follow CPython so output is byte-identical.
 */
final class Py {
    private Py() {}

    /** An immutable tuple: equal only to tuples, printed with parentheses. */
    static final class Tuple extends AbstractList<Object> {
        private final List<Object> items;

        Tuple(List<Object> items) {
            this.items = List.copyOf(nullSafe(items));
        }

        private static List<Object> nullSafe(List<Object> items) {
            List<Object> l = new ArrayList<>(items.size());
            for (Object o : items) {
                l.add(o == null ? NONE : o);
            }
            return l;
        }

        @Override
        public Object get(int i) {
            Object o = items.get(i);
            return o == NONE ? null : o;
        }

        @Override
        public int size() {
            return items.size();
        }

        private static final Object NONE = new Object();
    }

    // ---- whitespace and strings

    static boolean isSpace(int c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    static boolean isAllSpace(String s) {
        return s.codePoints().allMatch(Py::isSpace);
    }

    private static boolean strips(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0 || (c > 0xffff && chars.contains(Character.toString(c)));
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int c = s.codePointAt(i);
            if (!strips(c, chars)) {
                break;
            }
            i += Character.charCount(c);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0) {
            int c = s.codePointBefore(i);
            if (!strips(c, chars)) {
                break;
            }
            i -= Character.charCount(c);
        }
        return s.substring(0, i);
    }

    static String strip(String s, String chars) {
        return lstrip(rstrip(s, chars), chars);
    }

    /** A Jinja2 string literal's body with Python's escapes ({@code \n}, {@code \x41}, {@code \u00e9}, ...). */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> b.append('\\');
                case '\'' -> b.append('\'');
                case '"' -> b.append('"');
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'v' -> b.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + len >= s.length()) {
                        throw new JinjaException("truncated \\" + e + " escape in a string literal");
                    }
                    b.appendCodePoint(Integer.parseInt(s.substring(i + 1, i + 1 + len), 16));
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i;
                        while (j < s.length() && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                            j++;
                        }
                        b.appendCodePoint(Integer.parseInt(s.substring(i, j), 8));
                        i = j - 1;
                    } else {
                        b.append('\\').append(e);
                    }
                }
            }
        }
        return b.toString();
    }

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    static String fromCodePoints(int[] cps, int from, int to) {
        return new String(cps, from, to - from);
    }

    // ---- types

    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof Long || o instanceof Integer) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof Namespace) {
            return "Namespace";
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        return "function";
    }

    static boolean isInt(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Boolean;
    }

    static boolean isNumber(Object o) {
        return isInt(o) || o instanceof Double;
    }

    static long asLong(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) o).longValue();
    }

    static double asDouble(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) o).doubleValue();
    }

    static Object undefinedCheck(Object o) {
        if (o instanceof Undefined u) {
            throw u.fail();
        }
        return o;
    }

    static boolean truthy(Object o) {
        if (o == null || o instanceof Undefined) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (o instanceof Long l) {
            return l != 0;
        }
        if (o instanceof Integer i) {
            return i != 0;
        }
        if (o instanceof Double d) {
            return d != 0;
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    // ---- printing

    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Undefined) {
            return "";
        }
        return repr(o);
    }

    static String repr(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (o instanceof Long || o instanceof Integer) {
            return o.toString();
        }
        if (o instanceof Double d) {
            return floatRepr(d);
        }
        if (o instanceof String s) {
            return strRepr(s);
        }
        if (o instanceof Tuple t) {
            StringBuilder b = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) {
                b.append(i > 0 ? ", " : "").append(repr(t.get(i)));
            }
            return b.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i > 0 ? ", " : "").append(repr(l.get(i)));
            }
            return b.append("]").toString();
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return b.append("}").toString();
        }
        if (o instanceof Namespace n) {
            return "<Namespace " + repr(n.attrs) + ">";
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        return "<function>";
    }

    private static String strRepr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(q);
        s.codePoints().forEach(c -> {
            if (c == q || c == '\\') {
                b.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else if (!printable(c)) {
                b.append(c <= 0xff ? String.format("\\x%02x", c) : c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(q).toString();
    }

    private static boolean printable(int c) {
        if (c == ' ') {
            return true;
        }
        int t = Character.getType(c);
        return !(t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                || t == Character.SPACE_SEPARATOR);
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (decpt > 16 || decpt < -3) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            int exp = decpt - 1;
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        if (decpt <= 0) {
            return sign + "0." + "0".repeat(-decpt) + digits;
        }
        if (decpt >= digits.length()) {
            return sign + digits + "0".repeat(decpt - digits.length()) + ".0";
        }
        return sign + digits.substring(0, decpt) + "." + digits.substring(decpt);
    }

    // ---- comparison

    static boolean eq(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a == null || b == null) {
            return a == b;
        }
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) {
                return asLong(a) == asLong(b);
            }
            return asDouble(a) == asDouble(b);
        }
        if (a instanceof String x && b instanceof String y) {
            return x.equals(y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!eq(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a == b;
    }

    static int compare(Object a, Object b, String op) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (isNumber(a) && isNumber(b)) {
            return isInt(a) && isInt(b) ? Long.compare(asLong(a), asLong(b)) : Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            return Integer.signum(compareCodePoints(x, y));
        }
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) {
                    return compare(x.get(i), y.get(i), op);
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new JinjaException("'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) {
                return Integer.compare(a, b);
            }
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof Undefined) {
            return false; // Undefined iterates as empty
        }
        if (container instanceof String s) {
            if (!(item instanceof String t)) {
                throw new JinjaException("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(t);
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Map<?, ?> m) {
            return item instanceof String && m.containsKey(item);
        }
        throw new JinjaException("argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---- containers

    /** The items a for loop or filter iterates: list items, dict keys, string characters. */
    static List<Object> iterate(Object o) {
        if (o instanceof Undefined) {
            return List.of();
        }
        if (o instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (o instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (o instanceof String s) {
            List<Object> l = new ArrayList<>();
            s.codePoints().forEach(c -> l.add(Character.toString(c)));
            return l;
        }
        throw new JinjaException("'" + typeName(o) + "' object is not iterable");
    }

    static long length(Object o) {
        if (o instanceof Undefined) {
            return 0;
        }
        if (o instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (o instanceof List<?> l) {
            return l.size();
        }
        if (o instanceof Map<?, ?> m) {
            return m.size();
        }
        throw new JinjaException("object of type '" + typeName(o) + "' has no len()");
    }

    /** {@code obj[key]} as Jinja2's {@code getitem}: a missing key or index is undefined, not an error. */
    static Object getItem(Object obj, Object key) {
        undefinedCheck(obj);
        if (obj instanceof Map<?, ?> m) {
            if (key instanceof String && m.containsKey(key)) {
                return m.get(key);
            }
            return key instanceof String s ? Builtins.attribute(obj, s) : new Undefined("'dict object' has no attribute '" + str(key) + "'");
        }
        if ((obj instanceof List || obj instanceof String) && isInt(key)) {
            long n = length(obj);
            long i = asLong(key);
            if (i < 0) {
                i += n;
            }
            if (i < 0 || i >= n) {
                return new Undefined("'" + typeName(obj) + " object' has no element " + asLong(key));
            }
            if (obj instanceof List<?> l) {
                return l.get((int) i);
            }
            String s = (String) obj;
            return Character.toString(s.codePointAt(s.offsetByCodePoints(0, (int) i)));
        }
        if (key instanceof String s) {
            return Builtins.attribute(obj, s);
        }
        return new Undefined("'" + typeName(obj) + " object' has no element " + str(key));
    }

    /** Python slicing ({@code [start:stop:step]}, negative steps too) of a list, tuple or string. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        undefinedCheck(obj);
        long n = length(obj);
        long st = step == null ? 1 : asLong(step);
        if (st == 0) {
            throw new JinjaException("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(asLong(start), n, 0, n);
            hi = stop == null ? n : clamp(asLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(asLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(asLong(stop), n, -1, n - 1);
        }
        List<Integer> idx = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            idx.add((int) i);
        }
        if (obj instanceof String s) {
            int[] cps = codePoints(s);
            StringBuilder b = new StringBuilder();
            for (int i : idx) {
                b.appendCodePoint(cps[i]);
            }
            return b.toString();
        }
        List<?> l = (List<?>) obj;
        List<Object> out = new ArrayList<>();
        for (int i : idx) {
            out.add(l.get(i));
        }
        return obj instanceof Tuple ? new Tuple(out) : out;
    }

    private static long clamp(long i, long n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }

    // ---- arithmetic

    static Object add(Object a, Object b) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (isNumber(a) && isNumber(b)) {
            return isInt(a) && isInt(b) ? (Object) (asLong(a) + asLong(b)) : (Object) (asDouble(a) + asDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            return x + y;
        }
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
            List<Object> l = new ArrayList<>(x);
            l.addAll(y);
            return a instanceof Tuple ? new Tuple(l) : l;
        }
        throw unsupported("+", a, b);
    }

    static Object arith(String op, Object a, Object b) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (op.equals("*")) {
            if ((a instanceof String || a instanceof List) && isInt(b)) {
                return repeat(a, asLong(b));
            }
            if ((b instanceof String || b instanceof List) && isInt(a)) {
                return repeat(b, asLong(a));
            }
        }
        if (op.equals("%") && a instanceof String f) {
            return percentFormat(f, b instanceof Tuple t ? t : List.of(b == null ? NONE_ARG : b));
        }
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported(op, a, b);
        }
        boolean ints = isInt(a) && isInt(b);
        switch (op) {
            case "-" -> {
                return ints ? (Object) (asLong(a) - asLong(b)) : (Object) (asDouble(a) - asDouble(b));
            }
            case "*" -> {
                return ints ? (Object) (asLong(a) * asLong(b)) : (Object) (asDouble(a) * asDouble(b));
            }
            case "/" -> {
                if (asDouble(b) == 0) {
                    throw new JinjaException("division by zero");
                }
                return asDouble(a) / asDouble(b);
            }
            case "//" -> {
                if (asDouble(b) == 0) {
                    throw new JinjaException("integer division or modulo by zero");
                }
                return ints ? (Object) Math.floorDiv(asLong(a), asLong(b)) : (Object) Math.floor(asDouble(a) / asDouble(b));
            }
            case "%" -> {
                if (asDouble(b) == 0) {
                    throw new JinjaException("integer division or modulo by zero");
                }
                if (ints) {
                    return Math.floorMod(asLong(a), asLong(b));
                }
                double x = asDouble(a);
                double y = asDouble(b);
                double m = x % y;
                return m != 0 && (m < 0) != (y < 0) ? m + y : m;
            }
            case "**" -> {
                if (ints && asLong(b) >= 0) {
                    long r = 1;
                    for (long i = 0; i < asLong(b); i++) {
                        r *= asLong(a);
                    }
                    return r;
                }
                return Math.pow(asDouble(a), asDouble(b));
            }
            default -> throw new JinjaException("unknown operator " + op);
        }
    }

    private static final Object NONE_ARG = new Object();
    private static final java.util.regex.Pattern PERCENT = java.util.regex.Pattern.compile("%([-0 +#]*)(\\d*)(?:\\.(\\d+))?([sdirfxX%])");

    /** Python's {@code format % args} for %s %r %d %i %f %x and %% with flags, width and precision. */
    static String percentFormat(String format, List<?> args) {
        java.util.regex.Matcher m = PERCENT.matcher(format);
        StringBuilder b = new StringBuilder();
        int next = 0;
        int last = 0;
        while (m.find()) {
            b.append(format, last, m.start());
            last = m.end();
            char conv = m.group(4).charAt(0);
            if (conv == '%') {
                b.append('%');
                continue;
            }
            if (next >= args.size()) {
                throw new JinjaException("not enough arguments for format string");
            }
            Object x = args.get(next++);
            x = x == NONE_ARG ? null : x;
            String flags = m.group(1);
            String width = m.group(2);
            String prec = m.group(3);
            String body = switch (conv) {
                case 's' -> prec == null ? str(x) : str(x).substring(0, Math.min(str(x).length(), Integer.parseInt(prec)));
                case 'r' -> repr(x);
                case 'd', 'i' -> {
                    if (!isNumber(x)) {
                        throw new JinjaException("%" + conv + " format: a real number is required, not " + typeName(x));
                    }
                    yield String.format("%" + flags.replace("#", "") + width + "d", isInt(x) ? asLong(x) : (long) asDouble(x));
                }
                case 'f' -> String.format(java.util.Locale.ROOT, "%" + flags + width + "." + (prec == null ? "6" : prec) + "f", asDouble(undefinedCheck(x)));
                default -> String.format("%" + flags + width + conv, asLong(undefinedCheck(x)));
            };
            if (conv == 's' || conv == 'r') {
                int w = width.isEmpty() ? 0 : Integer.parseInt(width);
                int pad = w - body.codePointCount(0, body.length());
                if (pad > 0) {
                    body = flags.contains("-") ? body + " ".repeat(pad) : " ".repeat(pad) + body;
                }
            }
            b.append(body);
        }
        if (next < args.size()) {
            throw new JinjaException("not all arguments converted during string formatting");
        }
        return b.append(format.substring(last)).toString();
    }

    private static Object repeat(Object seq, long n) {
        if (seq instanceof String s) {
            return n <= 0 ? "" : s.repeat((int) n);
        }
        List<Object> l = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            l.addAll((List<?>) seq);
        }
        return seq instanceof Tuple ? new Tuple(l) : l;
    }

    private static JinjaException unsupported(String op, Object a, Object b) {
        return new JinjaException("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    static Object negate(Object a) {
        undefinedCheck(a);
        if (isInt(a)) {
            return -asLong(a);
        }
        if (a instanceof Double d) {
            return -d;
        }
        throw new JinjaException("bad operand type for unary -: '" + typeName(a) + "'");
    }

    // ---- json.dumps

    /** {@code json.dumps(o, ensure_ascii, indent, separators, sort_keys)} as CPython writes it. */
    static String toJson(Object o, boolean ensureAscii, Object indent, String itemSep, String keySep, boolean sortKeys) {
        String ind = indent == null ? null : indent instanceof String s ? s : " ".repeat((int) Math.max(0, asLong(indent)));
        String is = itemSep != null ? itemSep : ind != null ? "," : ", ";
        String ks = keySep != null ? keySep : ": ";
        StringBuilder b = new StringBuilder();
        json(b, o, ensureAscii, ind, is, ks, sortKeys, 0);
        return b.toString();
    }

    private static void json(StringBuilder b, Object o, boolean ascii, String ind, String is, String ks, boolean sort, int level) {
        if (o == null) {
            b.append("null");
        } else if (o instanceof Boolean x) {
            b.append(x ? "true" : "false");
        } else if (o instanceof Long || o instanceof Integer) {
            b.append(o);
        } else if (o instanceof Double d) {
            b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
        } else if (o instanceof String s) {
            jsonString(b, s, ascii);
        } else if (o instanceof List<?> l) {
            if (l.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                b.append(i > 0 ? is : "");
                newline(b, ind, level + 1);
                json(b, l.get(i), ascii, ind, is, ks, sort, level + 1);
            }
            newline(b, ind, level);
            b.append(']');
        } else if (o instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sort) {
                entries.sort((x, y) -> compareCodePoints(String.valueOf(x.getKey()), String.valueOf(y.getKey())));
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                b.append(first ? "" : is);
                first = false;
                newline(b, ind, level + 1);
                Object k = e.getKey();
                jsonString(b, k instanceof String s ? s : k instanceof Boolean x ? (x ? "true" : "false") : k == null ? "null" : str(k), ascii);
                b.append(ks);
                json(b, e.getValue(), ascii, ind, is, ks, sort, level + 1);
            }
            newline(b, ind, level);
            b.append('}');
        } else {
            throw new JinjaException("Object of type " + typeName(o) + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder b, String ind, int level) {
        if (ind != null) {
            b.append('\n').append(ind.repeat(level));
        }
    }

    private static void jsonString(StringBuilder b, String s, boolean ascii) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7f)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    static Iterator<Object> iterator(Object o) {
        return iterate(o).iterator();
    }
}
