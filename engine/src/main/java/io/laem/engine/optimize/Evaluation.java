package io.laem.engine.optimize;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One candidate's result: the value the optimizer minimizes and each task's own score (validation
 * NLL for the LAEM objective; lower is better), sorted by task name.
 */
public record Evaluation(double value, Map<String, Double> taskScores) {
    public Evaluation {
        taskScores = Collections.unmodifiableMap(new TreeMap<>(taskScores)); // sorted: stable CSV columns
    }
}
