package io.laem.engine.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code namespace(...)}: the one mutable object a template may write to ({@code set ns.x = ...}). */
final class Namespace {
    final Map<String, Object> attrs = new LinkedHashMap<>();
}
