package io.laem.engine.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tag tokens the way Jinja2's lexer does with {@code trim_blocks} and
 * {@code lstrip_blocks} on: newlines normalized to {@code \n} and one trailing newline dropped,
 * {@code -} strips all whitespace on its side, {@code +} keeps it, a block or comment tag alone on its
 * line loses the indentation before it and the newline after it.
 */
final class Lexer {
    enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Type type, String value, int line) {
        boolean is(Type t, String v) {
            return type == t && value.equals(v);
        }

        boolean isName(String v) {
            return is(Type.NAME, v);
        }

        boolean isOp(String v) {
            return is(Type.OP, v);
        }

        @Override
        public String toString() {
            return type == Type.EOF ? "end of template" : type == Type.STRING ? "string" : "'" + value + "'";
        }
    }

    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
        "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final List<Token> out = new ArrayList<>();
    private int pos;

    private Lexer(String source, boolean trimBlocks, boolean lstripBlocks) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
    }

    static List<Token> tokenize(String source, boolean trimBlocks, boolean lstripBlocks) {
        Lexer l = new Lexer(source, trimBlocks, lstripBlocks);
        l.run();
        return l.out;
    }

    private int line(int at) {
        int n = 1;
        for (int i = 0; i < at && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = nextTag(pos);
            if (start < 0) {
                text(src.substring(pos));
                break;
            }
            String text = src.substring(pos, start);
            char kind = src.charAt(start + 1);
            int p = start + 2;
            char sign = p < n ? src.charAt(p) : 0;
            if (sign == '-') {
                text = Py.rstrip(text, null);
                p++;
            } else if (sign == '+') {
                p++;
            } else if (lstripBlocks && kind != '{') {
                int lpos = text.lastIndexOf('\n') + 1;
                boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
                if ((lpos > 0 || lineStarting) && lpos < text.length() && Py.isAllSpace(text.substring(lpos))) {
                    text = text.substring(0, lpos);
                }
            }
            text(text);
            if (kind == '#') {
                pos = comment(start, p);
            } else if (kind == '%' && isRaw(p)) {
                pos = raw(start, p);
            } else {
                pos = tag(kind == '{' ? Type.VAR_BEGIN : Type.BLOCK_BEGIN, start, p);
            }
        }
        out.add(new Token(Type.EOF, "", line(n)));
    }

    private void text(String t) {
        if (!t.isEmpty()) {
            out.add(new Token(Type.TEXT, t, line(pos)));
        }
    }

    private int nextTag(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** Position after a tag's end, with trim_blocks or a {@code -} sign applied. */
    private int afterEnd(int endStart, int endLen, boolean minus, boolean plus, boolean trims) {
        int p = endStart + endLen;
        if (minus) {
            while (p < src.length() && Py.isSpace(src.charAt(p))) {
                p++;
            }
        } else if (trims && !plus && trimBlocks && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        return p;
    }

    private int comment(int start, int p) {
        int end = src.indexOf("#}", p);
        if (end < 0) {
            throw new JinjaException("line " + line(start) + ": missing end of comment tag");
        }
        boolean minus = end > p && src.charAt(end - 1) == '-';
        boolean plus = end > p && src.charAt(end - 1) == '+';
        return afterEnd(end, 2, minus, plus, true);
    }

    private boolean isRaw(int p) {
        int i = skipSpace(p);
        if (!src.startsWith("raw", i)) {
            return false;
        }
        i = skipSpace(i + 3);
        return src.startsWith("%}", i) || src.startsWith("-%}", i) || src.startsWith("+%}", i);
    }

    private int raw(int start, int p) {
        int i = skipSpace(skipSpace(p) + 3);
        boolean minus = src.charAt(i) == '-';
        boolean plus = src.charAt(i) == '+';
        int bodyStart = afterEnd(i + (minus || plus ? 1 : 0), 2, minus, plus, true);
        int search = bodyStart;
        while (true) {
            int open = src.indexOf("{%", search);
            if (open < 0) {
                throw new JinjaException("line " + line(start) + ": missing endraw");
            }
            int j = open + 2;
            boolean openMinus = j < src.length() && src.charAt(j) == '-';
            if (openMinus || (j < src.length() && src.charAt(j) == '+')) {
                j++;
            }
            j = skipSpace(j);
            if (src.startsWith("endraw", j)) {
                j = skipSpace(j + 6);
                boolean endMinus = src.charAt(j) == '-';
                boolean endPlus = src.charAt(j) == '+';
                if (endMinus || endPlus) {
                    j++;
                }
                if (src.startsWith("%}", j)) {
                    String body = src.substring(bodyStart, open);
                    text(openMinus ? Py.rstrip(body, null) : body);
                    return afterEnd(j, 2, endMinus, endPlus, true);
                }
            }
            search = open + 2;
        }
    }

    private int skipSpace(int p) {
        while (p < src.length() && Py.isSpace(src.charAt(p))) {
            p++;
        }
        return p;
    }

    /** Tokens inside {@code {{ }}} or {@code {% %}} up to the matching end (brackets must balance first). */
    private int tag(Type begin, int start, int p) {
        boolean block = begin == Type.BLOCK_BEGIN;
        String end = block ? "%}" : "}}";
        out.add(new Token(begin, block ? "{%" : "{{", line(start)));
        int depth = 0;
        int n = src.length();
        while (true) {
            p = skipSpace(p);
            if (p >= n) {
                throw new JinjaException("line " + line(start) + ": missing end of " + (block ? "block" : "variable") + " tag");
            }
            if (depth == 0) {
                if (src.startsWith("-" + end, p)) {
                    out.add(new Token(block ? Type.BLOCK_END : Type.VAR_END, end, line(p)));
                    return afterEnd(p + 1, 2, true, false, block);
                }
                if (block && src.startsWith("+" + end, p)) {
                    out.add(new Token(Type.BLOCK_END, end, line(p)));
                    return afterEnd(p + 1, 2, false, true, true);
                }
                if (src.startsWith(end, p)) {
                    out.add(new Token(block ? Type.BLOCK_END : Type.VAR_END, end, line(p)));
                    return afterEnd(p, 2, false, false, block);
                }
            }
            char c = src.charAt(p);
            int line = line(p);
            if (c == '\'' || c == '"') {
                int q = p + 1;
                while (q < n && src.charAt(q) != c) {
                    q += src.charAt(q) == '\\' ? 2 : 1;
                }
                if (q >= n) {
                    throw new JinjaException("line " + line + ": unterminated string");
                }
                out.add(new Token(Type.STRING, Py.unescape(src.substring(p + 1, q)), line));
                p = q + 1;
            } else if (Character.isDigit(c)) {
                p = number(p, line);
            } else if (Character.isLetter(c) || c == '_') {
                int q = p + 1;
                while (q < n && (Character.isLetterOrDigit(src.charAt(q)) || src.charAt(q) == '_')) {
                    q++;
                }
                out.add(new Token(Type.NAME, src.substring(p, q), line));
                p = q;
            } else {
                String op = null;
                for (String o : OPERATORS) {
                    if (src.startsWith(o, p)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw new JinjaException("line " + line + ": unexpected character '" + c + "'");
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    depth--;
                }
                out.add(new Token(Type.OP, op, line));
                p += op.length();
            }
        }
    }

    private int number(int p, int line) {
        int n = src.length();
        int q = digits(p);
        boolean isFloat = false;
        if (q + 1 < n && src.charAt(q) == '.' && Character.isDigit(src.charAt(q + 1))) {
            q = digits(q + 1);
            isFloat = true;
        }
        if (q < n && (src.charAt(q) == 'e' || src.charAt(q) == 'E')) {
            int e = q + 1;
            if (e < n && (src.charAt(e) == '+' || src.charAt(e) == '-')) {
                e++;
            }
            if (e < n && Character.isDigit(src.charAt(e))) {
                q = digits(e);
                isFloat = true;
            }
        }
        out.add(new Token(isFloat ? Type.FLOAT : Type.INT, src.substring(p, q).replace("_", ""), line));
        return q;
    }

    private int digits(int p) {
        while (p < src.length() && (Character.isDigit(src.charAt(p)) || (src.charAt(p) == '_' && p + 1 < src.length()
                && Character.isDigit(src.charAt(p + 1))))) {
            p++;
        }
        return p;
    }
}
