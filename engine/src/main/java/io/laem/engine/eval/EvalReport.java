package io.laem.engine.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.Json;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Scores per task, in task order. JSON form: {"tasks": {"<task>": {"exact_match", "mean_nll", "examples"}}}. */
public record EvalReport(Map<String, TaskScore> tasks) {
    public EvalReport {
        tasks = Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
    }

    public ObjectNode toJson() {
        ObjectNode root = Json.JSON.createObjectNode();
        ObjectNode ts = root.putObject("tasks");
        tasks.forEach((name, s) -> {
            ObjectNode n = ts.putObject(name);
            n.put("exact_match", s.exactMatch());
            n.put("mean_nll", s.meanNll());
            n.put("examples", s.examples());
        });
        return root;
    }

    /** Mean exact match over tasks. */
    public double meanExactMatch() {
        return tasks.values().stream().mapToDouble(TaskScore::exactMatch).average().orElse(Double.NaN);
    }

    public double meanNll() {
        return tasks.values().stream().mapToDouble(TaskScore::meanNll).average().orElse(Double.NaN);
    }

    /** A fixed-width table: task, exact match (%), mean NLL, examples. */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format("%-12s %8s %9s %8s%n", "task", "exact", "mean_nll", "examples"));
        tasks.forEach((name, s) -> sb.append(String.format("%-12s %7.1f%% %9.4f %8d%n", name, 100 * s.exactMatch(), s.meanNll(), s.examples())));
        return sb.toString();
    }
}
