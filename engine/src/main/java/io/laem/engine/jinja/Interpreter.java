package io.laem.engine.jinja;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree with Jinja2's scoping: a for loop's body gets a fresh scope each iteration (so a
 * {@code set} inside a loop is gone after it, which is why templates use {@code namespace}); {@code if}
 * bodies share their enclosing scope.
 */
final class Interpreter {
    private static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Undefined.name(name);
        }
    }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() {
            super(null, null, false, false);
        }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() {
            super(null, null, false, false);
        }
    }

    private static final BreakSignal BREAK = new BreakSignal();
    private static final ContinueSignal CONTINUE = new ContinueSignal();

    /** The {@code loop} variable of a for loop. */
    static final class Loop {
        private final List<Object> items;
        private int index;

        Loop(List<Object> items) {
            this.items = items;
        }

        Object attribute(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index + 1;
                case "index0" -> (long) index;
                case "revindex" -> (long) (n - index);
                case "revindex0" -> (long) (n - index - 1);
                case "first" -> index == 0;
                case "last" -> index == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index > 0 ? items.get(index - 1) : new Undefined("there is no previous item");
                case "nextitem" -> index < n - 1 ? items.get(index + 1) : new Undefined("there is no next item");
                case "cycle" -> (JinjaCallable) (a, kw) -> {
                    if (a.isEmpty()) {
                        throw new JinjaException("no items for cycling given");
                    }
                    return a.get(index % a.size());
                };
                default -> Undefined.attribute(this, name);
            };
        }
    }

    private final Scope globals;

    Interpreter(Map<String, Object> vars) {
        Scope builtins = new Scope(null);
        builtins.vars.putAll(Builtins.globals());
        this.globals = new Scope(builtins);
        globals.vars.putAll(vars);
    }

    String render(List<Node> body) {
        StringBuilder out = new StringBuilder();
        try {
            exec(body, globals, out);
        } catch (BreakSignal | ContinueSignal e) {
            throw new JinjaException("break or continue outside a loop");
        }
        return out.toString();
    }

    private void exec(List<Node> body, Scope scope, StringBuilder out) {
        for (Node n : body) {
            exec(n, scope, out);
        }
    }

    private void exec(Node node, Scope scope, StringBuilder out) {
        try {
            execUnchecked(node, scope, out);
        } catch (JinjaException e) {
            throw e.getMessage().startsWith("line ") || e.raised() ? e : new JinjaException("line " + node.line() + ": " + e.getMessage(), false);
        } catch (BreakSignal | ContinueSignal e) {
            throw e;
        } catch (ClassCastException | IndexOutOfBoundsException | IllegalArgumentException | ArithmeticException | NullPointerException
                 | UnsupportedOperationException e) {
            // wrong argument types or counts for a filter, method or operator
            throw new JinjaException("line " + node.line() + ": " + JinjaTemplate.describe(e));
        }
    }

    private void execUnchecked(Node node, Scope scope, StringBuilder out) {
        switch (node) {
            case Node.Text t -> out.append(t.text());
            case Node.Print p -> out.append(Py.str(eval(p.expr(), scope)));
            case Node.If i -> exec(Py.truthy(eval(i.test(), scope)) ? i.body() : i.orElse(), scope, out);
            case Node.For f -> loop(f, scope, out);
            case Node.Set s -> {
                Object value;
                if (s.body() != null) {
                    StringBuilder b = new StringBuilder();
                    exec(s.body(), scope, b);
                    value = b.toString();
                    if (s.value() != null) {
                        Scope inner = new Scope(scope);
                        inner.vars.put("", value);
                        value = eval(s.value(), inner);
                    }
                } else {
                    value = eval(s.value(), scope);
                }
                assign(s.target(), value, scope);
            }
            case Node.Macro m -> scope.vars.put(m.name(), macro(m, scope));
            case Node.FilterBlock f -> {
                StringBuilder b = new StringBuilder();
                exec(f.body(), scope, b);
                Scope inner = new Scope(scope);
                inner.vars.put("", b.toString());
                out.append(Py.str(eval(f.filter(), inner)));
            }
            case Node.Scope s -> exec(s.body(), scope, out);
            case Node.Break b -> throw BREAK;
            case Node.Continue c -> throw CONTINUE;
            default -> throw new JinjaException("line " + node.line() + ": not a statement");
        }
    }

    private void loop(Node.For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iter(), scope);
        List<Object> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                assign(f.target(), item, s);
                if (Py.truthy(eval(f.filter(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        Loop loop = new Loop(items);
        for (int i = 0; i < items.size(); i++) {
            loop.index = i;
            Scope s = new Scope(scope);
            s.vars.put("loop", loop);
            assign(f.target(), items.get(i), s);
            try {
                exec(f.body(), s, out);
            } catch (BreakSignal b) {
                break;
            } catch (ContinueSignal c) {
                // next item
            }
        }
        if (items.isEmpty()) {
            exec(f.orElse(), scope, out);
        }
    }

    private void assign(Node target, Object value, Scope scope) {
        switch (target) {
            case Node.Name n -> scope.vars.put(n.name(), value);
            case Node.NsRef r -> {
                Object ns = scope.lookup(r.name());
                if (!(ns instanceof Namespace n)) {
                    throw new JinjaException("cannot assign attribute on non-namespace object");
                }
                n.attrs.put(r.attr(), value);
            }
            case Node.TupleLit t -> {
                List<Object> values = Py.iterate(value);
                if (values.size() != t.items().size()) {
                    throw new JinjaException((values.size() > t.items().size() ? "too many" : "not enough") + " values to unpack (expected "
                            + t.items().size() + ", got " + values.size() + ")");
                }
                for (int i = 0; i < values.size(); i++) {
                    assign(t.items().get(i), values.get(i), scope);
                }
            }
            default -> throw new JinjaException("cannot assign to this target");
        }
    }

    private JinjaCallable macro(Node.Macro m, Scope defined) {
        return (args, kwargs) -> {
            Scope s = new Scope(defined);
            if (args.size() > m.params().size()) {
                throw new JinjaException("macro '" + m.name() + "' takes not more than " + m.params().size() + " argument(s)");
            }
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (kwargs.containsKey(p)) {
                    v = kwargs.get(p);
                } else if (m.defaults().get(i) != null) {
                    v = eval(m.defaults().get(i), s);
                } else {
                    v = Undefined.name(p);
                }
                s.vars.put(p, v);
            }
            StringBuilder b = new StringBuilder();
            exec(m.body(), s, b);
            return b.toString();
        };
    }

    private Object eval(Node node, Scope scope) {
        switch (node) {
            case Node.Const c -> {
                return c.value();
            }
            case Node.Name n -> {
                return scope.lookup(n.name());
            }
            case Node.ListLit l -> {
                List<Object> out = new ArrayList<>();
                l.items().forEach(i -> out.add(eval(i, scope)));
                return out;
            }
            case Node.TupleLit t -> {
                List<Object> out = new ArrayList<>();
                t.items().forEach(i -> out.add(eval(i, scope)));
                return new Py.Tuple(out);
            }
            case Node.DictLit d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    out.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                }
                return out;
            }
            case Node.GetAttr g -> {
                return Builtins.attribute(eval(g.obj(), scope), g.attr());
            }
            case Node.GetItem g -> {
                Object obj = eval(g.obj(), scope);
                if (g.key() instanceof Node.Slice s) {
                    return Py.slice(obj, evalOpt(s.start(), scope), evalOpt(s.stop(), scope), evalOpt(s.step(), scope));
                }
                return Py.getItem(obj, eval(g.key(), scope));
            }
            case Node.Call c -> {
                Object fn = eval(c.fn(), scope);
                if (fn instanceof Undefined u) {
                    throw u.fail();
                }
                if (!(fn instanceof JinjaCallable callable)) {
                    throw new JinjaException("'" + Py.typeName(fn) + "' object is not callable");
                }
                List<Object> args = new ArrayList<>();
                c.args().forEach(a -> args.add(eval(a, scope)));
                return callable.call(args, kwargs(c.kwNames(), c.kwValues(), scope));
            }
            case Node.Filter f -> {
                Object v = eval(f.value(), scope);
                List<Object> args = new ArrayList<>();
                f.args().forEach(a -> args.add(eval(a, scope)));
                return Builtins.filter(f.name(), v, args, kwargs(f.kwNames(), f.kwValues(), scope));
            }
            case Node.Test t -> {
                Object v = eval(t.value(), scope);
                List<Object> args = new ArrayList<>();
                t.args().forEach(a -> args.add(eval(a, scope)));
                return Builtins.test(t.name(), v, args) != t.negated();
            }
            case Node.Unary u -> {
                Object v = eval(u.operand(), scope);
                return switch (u.op()) {
                    case "not" -> !Py.truthy(v);
                    case "-" -> Py.negate(v);
                    default -> Py.isNumber(Py.undefinedCheck(v)) ? v : Py.negate(Py.negate(v));
                };
            }
            case Node.Binary b -> {
                if (b.op().equals("and")) {
                    Object l = eval(b.left(), scope);
                    return Py.truthy(l) ? eval(b.right(), scope) : l;
                }
                if (b.op().equals("or")) {
                    Object l = eval(b.left(), scope);
                    return Py.truthy(l) ? l : eval(b.right(), scope);
                }
                Object l = eval(b.left(), scope);
                Object r = eval(b.right(), scope);
                return b.op().equals("+") ? Py.add(l, r) : Py.arith(b.op(), l, r);
            }
            case Node.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    String op = c.ops().get(i);
                    boolean ok = switch (op) {
                        case "==" -> Py.eq(left, right);
                        case "!=" -> !Py.eq(left, right);
                        case "<" -> Py.compare(left, right, op) < 0;
                        case "<=" -> Py.compare(left, right, op) <= 0;
                        case ">" -> Py.compare(left, right, op) > 0;
                        case ">=" -> Py.compare(left, right, op) >= 0;
                        case "in" -> Py.contains(right, left);
                        default -> !Py.contains(right, left);
                    };
                    if (!ok) {
                        return false;
                    }
                    left = right;
                }
                return true;
            }
            case Node.Concat c -> {
                StringBuilder b = new StringBuilder();
                c.parts().forEach(p -> b.append(Py.str(eval(p, scope))));
                return b.toString();
            }
            case Node.CondExpr c -> {
                if (Py.truthy(eval(c.test(), scope))) {
                    return eval(c.then(), scope);
                }
                return c.orElse() != null ? eval(c.orElse(), scope) : new Undefined("the inline if-expression evaluated to false and no else section was defined.");
            }
            default -> throw new JinjaException("line " + node.line() + ": not an expression");
        }
    }

    private Object evalOpt(Node n, Scope scope) {
        return n == null ? null : eval(n, scope);
    }

    private Map<String, Object> kwargs(List<String> names, List<Node> values, Scope scope) {
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            kw.put(names.get(i), eval(values.get(i), scope));
        }
        return kw;
    }
}
