package io.laem.engine.optimize;

/** A run begins: what it searches and with how many evaluations at most. */
public record RunStarted(String label, SearchMethod method, Parameterization parameterization, int budget, double[] start) {
    public RunStarted {
        start = start.clone();
    }
}
