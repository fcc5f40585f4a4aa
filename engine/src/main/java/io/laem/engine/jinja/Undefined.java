package io.laem.engine.jinja;

/**
 * Jinja2's default {@code Undefined}: prints as nothing, is falsy, iterates as empty, equals only another
 * undefined; any other use (attribute, call, arithmetic) fails with the reason it is undefined.
 */
final class Undefined {
    private final String reason;

    Undefined(String reason) {
        this.reason = reason;
    }

    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    static Undefined attribute(Object owner, Object attr) {
        return new Undefined("'" + Py.typeName(owner) + " object' has no attribute '" + attr + "'");
    }

    JinjaException fail() {
        return new JinjaException(reason);
    }

    @Override
    public String toString() {
        return "";
    }
}
