package io.laem.engine.jinja;

import java.util.List;

/** The syntax tree: statements render output, expressions compute values. */
sealed interface Node {
    int line();

    // statements
    record Text(int line, String text) implements Node {}

    record Print(int line, Node expr) implements Node {}

    record If(int line, Node test, List<Node> body, List<Node> orElse) implements Node {}

    record For(int line, Node target, Node iter, Node filter, List<Node> body, List<Node> orElse) implements Node {}

    record Set(int line, Node target, Node value, List<Node> body) implements Node {}

    record Macro(int line, String name, List<String> params, List<Node> defaults, List<Node> body) implements Node {}

    record FilterBlock(int line, Node filter, List<Node> body) implements Node {}

    record Scope(int line, List<Node> body) implements Node {}

    record Break(int line) implements Node {}

    record Continue(int line) implements Node {}

    // expressions
    record Const(int line, Object value) implements Node {}

    record Name(int line, String name) implements Node {}

    record NsRef(int line, String name, String attr) implements Node {}

    record ListLit(int line, List<Node> items) implements Node {}

    record TupleLit(int line, List<Node> items) implements Node {}

    record DictLit(int line, List<Node> keys, List<Node> values) implements Node {}

    record GetAttr(int line, Node obj, String attr) implements Node {}

    record GetItem(int line, Node obj, Node key) implements Node {}

    record Slice(int line, Node start, Node stop, Node step) implements Node {}

    record Call(int line, Node fn, List<Node> args, List<String> kwNames, List<Node> kwValues) implements Node {}

    record Filter(int line, Node value, String name, List<Node> args, List<String> kwNames, List<Node> kwValues) implements Node {}

    record Test(int line, Node value, String name, List<Node> args, boolean negated) implements Node {}

    record Unary(int line, String op, Node operand) implements Node {}

    record Binary(int line, String op, Node left, Node right) implements Node {}

    record Compare(int line, Node first, List<String> ops, List<Node> rest) implements Node {}

    record Concat(int line, List<Node> parts) implements Node {}

    record CondExpr(int line, Node test, Node then, Node orElse) implements Node {}
}
