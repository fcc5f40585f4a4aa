package io.laem.engine.merge.methods;

import io.laem.engine.LaemException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of baseline merge methods by name. */
public final class MergeMethods {
    private static final Map<String, MergeMethod> ALL = new LinkedHashMap<>();

    static {
        for (MergeMethod m : List.of(new Linear(), new TaskArithmetic(), new Ties(), new DareTies(), new DareLinear(), new Cat(), new Svd())) {
            ALL.put(m.name(), m);
        }
    }

    private MergeMethods() {}

    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    public static MergeMethod of(String name) {
        MergeMethod m = ALL.get(name);
        if (m == null) {
            throw new LaemException("unknown merge method '" + name + "' (one of " + String.join(", ", ALL.keySet()) + ")");
        }
        return m;
    }
}
