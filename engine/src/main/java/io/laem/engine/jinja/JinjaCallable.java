package io.laem.engine.jinja;

import java.util.List;
import java.util.Map;

/** A function a template may call: the globals the host provides, macros, bound string/dict methods. */
@FunctionalInterface
public interface JinjaCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
