package io.laem.engine.jinja;

import io.laem.engine.jinja.Lexer.Token;
import io.laem.engine.jinja.Lexer.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Jinja2's grammar (the parts chat templates use), with Jinja2's operator precedence. */
final class Parser {
    private final List<Token> tokens;
    private int at;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(List<Token> tokens) {
        Parser p = new Parser(tokens);
        List<Node> body = p.subparse(Set.of());
        if (p.cur().type() != Type.EOF) {
            throw p.error("unexpected " + p.cur());
        }
        return body;
    }

    private Token cur() {
        return tokens.get(at);
    }

    private Token peek(int k) {
        return tokens.get(Math.min(at + k, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.type() != Type.EOF) {
            at++;
        }
        return t;
    }

    private JinjaException error(String message) {
        return new JinjaException("line " + cur().line() + ": " + message);
    }

    private Token expect(Type type, String value) {
        Token t = cur();
        if (t.type() != type || (value != null && !t.value().equals(value))) {
            throw error("expected " + (value != null ? "'" + value + "'" : type.name().toLowerCase()) + ", got " + t);
        }
        return next();
    }

    private boolean skipOp(String op) {
        if (cur().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (cur().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    /** Nodes until a block tag whose name is in {@code ends} (left unconsumed, after its "{%"). */
    private List<Node> subparse(Set<String> ends) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = cur();
            switch (t.type()) {
                case TEXT -> {
                    next();
                    body.add(new Node.Text(t.line(), t.value()));
                }
                case VAR_BEGIN -> {
                    next();
                    Node e = parseTuple(true);
                    expect(Type.VAR_END, null);
                    body.add(new Node.Print(t.line(), e));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.type() == Type.NAME && ends.contains(name.value())) {
                        next();
                        return body;
                    }
                    next();
                    body.add(statement());
                }
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw error("missing end tag, expected one of " + ends);
                    }
                    return body;
                }
                default -> throw error("unexpected " + t);
            }
        }
    }

    private Node statement() {
        Token t = expect(Type.NAME, null);
        int line = t.line();
        switch (t.value()) {
            case "if" -> {
                return parseIf(line);
            }
            case "for" -> {
                Node target = assignTarget(false);
                expect(Type.NAME, "in");
                Node iter = parseTuple(false);
                Node filter = skipName("if") ? expression(true) : null;
                if (cur().isName("recursive")) {
                    throw error("recursive loops are not supported");
                }
                expect(Type.BLOCK_END, null);
                List<Node> body = subparse(Set.of("endfor", "else"));
                List<Node> orElse = List.of();
                if (next().value().equals("else")) {
                    expect(Type.BLOCK_END, null);
                    orElse = subparse(Set.of("endfor"));
                    next();
                }
                expect(Type.BLOCK_END, null);
                return new Node.For(line, target, iter, filter, body, orElse);
            }
            case "set" -> {
                Node target = assignTarget(true);
                if (skipOp("=")) {
                    Node value = parseTuple(true);
                    expect(Type.BLOCK_END, null);
                    return new Node.Set(line, target, value, null);
                }
                Node filter = cur().isOp("|") ? filters(new Node.Name(line, "")) : null;
                expect(Type.BLOCK_END, null);
                List<Node> body = subparse(Set.of("endset"));
                next();
                expect(Type.BLOCK_END, null);
                return new Node.Set(line, target, filter, body);
            }
            case "macro" -> {
                String name = expect(Type.NAME, null).value();
                List<String> params = new ArrayList<>();
                List<Node> defaults = new ArrayList<>();
                expect(Type.OP, "(");
                while (!skipOp(")")) {
                    if (!params.isEmpty()) {
                        expect(Type.OP, ",");
                    }
                    params.add(expect(Type.NAME, null).value());
                    defaults.add(skipOp("=") ? expression(true) : null);
                }
                expect(Type.BLOCK_END, null);
                List<Node> body = subparse(Set.of("endmacro"));
                next();
                expect(Type.BLOCK_END, null);
                return new Node.Macro(line, name, params, defaults, body);
            }
            case "filter" -> {
                Node filter = filterChain(new Node.Name(line, ""));
                expect(Type.BLOCK_END, null);
                List<Node> body = subparse(Set.of("endfilter"));
                next();
                expect(Type.BLOCK_END, null);
                return new Node.FilterBlock(line, filter, body);
            }
            case "generation" -> {
                // transformers' AssistantTracker marks assistant spans; the text renders as is
                expect(Type.BLOCK_END, null);
                List<Node> body = subparse(Set.of("endgeneration"));
                next();
                expect(Type.BLOCK_END, null);
                return new Node.Scope(line, body);
            }
            case "break" -> {
                expect(Type.BLOCK_END, null);
                return new Node.Break(line);
            }
            case "continue" -> {
                expect(Type.BLOCK_END, null);
                return new Node.Continue(line);
            }
            default -> throw new JinjaException("line " + line + ": unsupported tag '" + t.value() + "'");
        }
    }

    private Node parseIf(int line) {
        Node test = parseTuple(false);
        expect(Type.BLOCK_END, null);
        List<Node> body = subparse(Set.of("elif", "else", "endif"));
        String tag = next().value();
        List<Node> orElse = List.of();
        if (tag.equals("elif")) {
            orElse = List.of(parseIf(cur().line()));
            return new Node.If(line, test, body, orElse);
        }
        if (tag.equals("else")) {
            expect(Type.BLOCK_END, null);
            orElse = subparse(Set.of("endif"));
            next();
        }
        expect(Type.BLOCK_END, null);
        return new Node.If(line, test, body, orElse);
    }

    private Node assignTarget(boolean withNamespace) {
        int line = cur().line();
        List<Node> items = new ArrayList<>();
        boolean paren = skipOp("(");
        do {
            String name = expect(Type.NAME, null).value();
            if (withNamespace && cur().isOp(".")) {
                next();
                items.add(new Node.NsRef(line, name, expect(Type.NAME, null).value()));
            } else {
                items.add(new Node.Name(line, name));
            }
        } while (skipOp(",") && cur().type() == Type.NAME);
        if (paren) {
            expect(Type.OP, ")");
        }
        return items.size() == 1 && !paren ? items.get(0) : new Node.TupleLit(line, items);
    }

    /** An expression, or a tuple when commas follow ({@code a, b}). */
    private Node parseTuple(boolean withCondExpr) {
        int line = cur().line();
        List<Node> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!skipOp(",")) {
                    break;
                }
                comma = true;
            }
            if (endsTuple()) {
                break;
            }
            items.add(withCondExpr ? expression(true) : expression(false));
        }
        if (!comma) {
            if (items.isEmpty()) {
                throw error("expected an expression, got " + cur());
            }
            return items.get(0);
        }
        return new Node.TupleLit(line, items);
    }

    private boolean endsTuple() {
        Token t = cur();
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.type() == Type.EOF || t.isOp(")") || t.isName("if")
                || t.isName("in") || t.isName("recursive");
    }

    Node expression(boolean withCondExpr) {
        Node e = parseOr();
        if (!withCondExpr) {
            return e;
        }
        while (cur().isName("if")) {
            int line = next().line();
            Node test = parseOr();
            Node orElse = skipName("else") ? expression(true) : null;
            e = new Node.CondExpr(line, test, e, orElse);
        }
        return e;
    }

    private Node parseOr() {
        Node left = parseAnd();
        while (cur().isName("or")) {
            int line = next().line();
            left = new Node.Binary(line, "or", left, parseAnd());
        }
        return left;
    }

    private Node parseAnd() {
        Node left = parseNot();
        while (cur().isName("and")) {
            int line = next().line();
            left = new Node.Binary(line, "and", left, parseNot());
        }
        return left;
    }

    private Node parseNot() {
        if (cur().isName("not")) {
            int line = next().line();
            return new Node.Unary(line, "not", parseNot());
        }
        return parseCompare();
    }

    private static final Set<String> COMPARE = Set.of("==", "!=", "<", "<=", ">", ">=");

    private Node parseCompare() {
        int line = cur().line();
        Node first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Node> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.type() == Type.OP && COMPARE.contains(t.value())) {
                next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Node.Compare(line, first, ops, rest);
    }

    private Node parseMath1() {
        Node left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token op = next();
            left = new Node.Binary(op.line(), op.value(), left, parseConcat());
        }
        return left;
    }

    private Node parseConcat() {
        int line = cur().line();
        List<Node> parts = new ArrayList<>();
        parts.add(parseMath2());
        while (skipOp("~")) {
            parts.add(parseMath2());
        }
        return parts.size() == 1 ? parts.get(0) : new Node.Concat(line, parts);
    }

    private Node parseMath2() {
        Node left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token op = next();
            left = new Node.Binary(op.line(), op.value(), left, parsePow());
        }
        return left;
    }

    private Node parsePow() {
        Node left = parseUnary(true);
        while (cur().isOp("**")) {
            Token op = next();
            left = new Node.Binary(op.line(), "**", left, parseUnary(true));
        }
        return left;
    }

    private Node parseUnary(boolean withFilter) {
        Token t = cur();
        Node node;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            node = new Node.Unary(t.line(), t.value(), parseUnary(false));
        } else {
            node = primary();
        }
        node = postfix(node);
        return withFilter ? filters(node) : node;
    }

    private Node primary() {
        Token t = next();
        int line = t.line();
        switch (t.type()) {
            case NAME -> {
                return switch (t.value()) {
                    case "true", "True" -> new Node.Const(line, Boolean.TRUE);
                    case "false", "False" -> new Node.Const(line, Boolean.FALSE);
                    case "none", "None" -> new Node.Const(line, null);
                    default -> new Node.Name(line, t.value());
                };
            }
            case STRING -> {
                StringBuilder s = new StringBuilder(t.value());
                while (cur().type() == Type.STRING) {
                    s.append(next().value());
                }
                return new Node.Const(line, s.toString());
            }
            case INT -> {
                return new Node.Const(line, Long.parseLong(t.value()));
            }
            case FLOAT -> {
                return new Node.Const(line, Double.parseDouble(t.value()));
            }
            case OP -> {
                switch (t.value()) {
                    case "(" -> {
                        if (skipOp(")")) {
                            return new Node.TupleLit(line, List.of());
                        }
                        Node e = parseTuple(true);
                        expect(Type.OP, ")");
                        return e;
                    }
                    case "[" -> {
                        List<Node> items = new ArrayList<>();
                        while (!skipOp("]")) {
                            if (!items.isEmpty()) {
                                expect(Type.OP, ",");
                                if (skipOp("]")) {
                                    break;
                                }
                            }
                            items.add(expression(true));
                        }
                        return new Node.ListLit(line, items);
                    }
                    case "{" -> {
                        List<Node> keys = new ArrayList<>();
                        List<Node> values = new ArrayList<>();
                        while (!skipOp("}")) {
                            if (!keys.isEmpty()) {
                                expect(Type.OP, ",");
                                if (skipOp("}")) {
                                    break;
                                }
                            }
                            keys.add(expression(true));
                            expect(Type.OP, ":");
                            values.add(expression(true));
                        }
                        return new Node.DictLit(line, keys, values);
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        at--;
        throw error("unexpected " + t);
    }

    private Node postfix(Node node) {
        while (true) {
            if (cur().isOp(".") || cur().isOp("[")) {
                node = subscript(node);
            } else if (cur().isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Node filters(Node node) {
        while (true) {
            if (cur().isOp("|")) {
                node = filterChain(node);
            } else if (cur().isName("is")) {
                node = test(node);
            } else if (cur().isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    /** One or more {@code |name(args)} applied to {@code node} (the leading bar optional for filter blocks). */
    private Node filterChain(Node node) {
        boolean first = true;
        while (first || cur().isOp("|")) {
            if (!(first && cur().type() == Type.NAME)) {
                expect(Type.OP, "|");
            }
            first = false;
            Token name = expect(Type.NAME, null);
            String n = name.value();
            while (cur().isOp(".")) {
                next();
                n += "." + expect(Type.NAME, null).value();
            }
            List<Node> args = new ArrayList<>();
            List<String> kwNames = new ArrayList<>();
            List<Node> kwValues = new ArrayList<>();
            if (cur().isOp("(")) {
                callArgs(args, kwNames, kwValues);
            }
            node = new Node.Filter(name.line(), node, n, args, kwNames, kwValues);
        }
        return node;
    }

    private Node test(Node node) {
        int line = next().line();
        boolean negated = skipName("not");
        String name = expect(Type.NAME, null).value();
        while (cur().isOp(".")) {
            next();
            name += "." + expect(Type.NAME, null).value();
        }
        List<Node> args = new ArrayList<>();
        Token t = cur();
        if (t.isOp("(")) {
            List<String> kwNames = new ArrayList<>();
            callArgs(args, kwNames, new ArrayList<>());
            if (!kwNames.isEmpty()) {
                throw error("keyword arguments to tests are not supported");
            }
        } else if ((t.type() == Type.NAME || t.type() == Type.STRING || t.type() == Type.INT || t.type() == Type.FLOAT || t.isOp("(")
                || t.isOp("[") || t.isOp("{")) && !(t.isName("else") || t.isName("or") || t.isName("and"))) {
            if (t.isName("is")) {
                throw error("you cannot chain multiple tests with is");
            }
            args.add(postfix(primary()));
        }
        return new Node.Test(line, node, name, args, negated);
    }

    private Node subscript(Node node) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.type() == Type.NAME) {
                return new Node.GetAttr(t.line(), node, attr.value());
            }
            if (attr.type() == Type.INT) {
                return new Node.GetItem(t.line(), node, new Node.Const(t.line(), Long.parseLong(attr.value())));
            }
            at--;
            throw error("expected name or number after '.'");
        }
        List<Node> args = new ArrayList<>();
        while (!skipOp("]")) {
            if (!args.isEmpty()) {
                expect(Type.OP, ",");
            }
            args.add(subscribed());
        }
        Node key = args.size() == 1 ? args.get(0) : new Node.TupleLit(t.line(), args);
        return new Node.GetItem(t.line(), node, key);
    }

    private Node subscribed() {
        int line = cur().line();
        Node start = null;
        if (!cur().isOp(":")) {
            start = expression(true);
            if (!cur().isOp(":")) {
                return start;
            }
        }
        next();
        Node stop = null;
        Node step = null;
        if (!cur().isOp("]") && !cur().isOp(",") && !cur().isOp(":")) {
            stop = expression(true);
        }
        if (skipOp(":")) {
            if (!cur().isOp("]") && !cur().isOp(",")) {
                step = expression(true);
            }
        }
        return new Node.Slice(line, start, stop, step);
    }

    private Node call(Node fn) {
        int line = cur().line();
        List<Node> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Node> kwValues = new ArrayList<>();
        callArgs(args, kwNames, kwValues);
        return new Node.Call(line, fn, args, kwNames, kwValues);
    }

    private void callArgs(List<Node> args, List<String> kwNames, List<Node> kwValues) {
        expect(Type.OP, "(");
        boolean first = true;
        while (!skipOp(")")) {
            if (!first) {
                expect(Type.OP, ",");
                if (skipOp(")")) {
                    break;
                }
            }
            first = false;
            if (cur().isOp("*") || cur().isOp("**")) {
                throw error("*args and **kwargs in calls are not supported");
            }
            if (cur().type() == Type.NAME && peek(1).isOp("=")) {
                kwNames.add(next().value());
                next();
                kwValues.add(expression(true));
            } else {
                if (!kwNames.isEmpty()) {
                    throw error("positional argument after keyword argument");
                }
                args.add(expression(true));
            }
        }
    }
}
