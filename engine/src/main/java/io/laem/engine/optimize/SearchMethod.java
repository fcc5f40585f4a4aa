package io.laem.engine.optimize;

import io.laem.engine.LaemException;

/** The black-box search a run uses. */
public enum SearchMethod {
    /** CMA-ES (Hipparchus {@code CMAESOptimizer}, active covariance update, bounds by repair). */
    CMA_ES("cma-es"),
    /** The start point, then points drawn uniformly inside the bounds. */
    RANDOM("random");

    private final String id;

    SearchMethod(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static SearchMethod parse(String s) {
        for (SearchMethod m : values()) {
            if (m.id.equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new LaemException("unknown search method '" + s + "' (expected cma-es or random)");
    }
}
