package io.laem.engine.optimize;

import io.laem.engine.LaemException;

/** The black-box search a run uses. */
public enum SearchMethod {
    /** CMA-ES (Hipparchus {@code CMAESOptimizer}, active covariance update, bounds by repair). */
    CMA_ES("cma-es"),
    /**
     * CMA-ES with racing: every candidate is scored on the first piece of the validation data and
     * dropped (its value estimated from that piece, paired with the incumbent's) as soon as it is
     * worse than the best so far on the same pieces; only the promising ones are scored on all of
     * it. Needs a {@link PiecewiseObjective}; the budget counts full evaluations' worth of work.
     */
    RACING("racing"),
    /**
     * Adam on the parameterization's coordinates with the objective's exact gradient (backpropagated
     * through the LoRA bank: the coefficients are the only trainable parameters, as LoRA Soups/CAT and
     * AdaMerging). Needs a {@link DifferentiableObjective}; a step (forward and backward) counts as
     * {@link OptimizationRun#GRADIENT_STEP_COST} evaluations of the budget.
     */
    GRADIENT("gradient"),
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
        throw new LaemException("unknown search method '" + s + "' (expected cma-es, racing, gradient or random)");
    }
}
