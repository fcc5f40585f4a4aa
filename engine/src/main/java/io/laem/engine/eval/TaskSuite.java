package io.laem.engine.eval;

import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer.Example;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A set of tasks and their data files, read from a {@code tasks.yaml}:
 * <pre>
 * tasks:
 *   reverse:
 *     train: tasks/reverse/train.jsonl
 *     validation: tasks/reverse/validation.jsonl
 *     test: tasks/reverse/test.jsonl
 * </pre>
 * Paths are relative to the YAML file's folder. A task needs at least one split.
 */
public record TaskSuite(Path file, Map<String, Map<String, Path>> tasks) {
    public static final List<String> SPLITS = List.of("train", "validation", "test");

    public static TaskSuite read(Path yaml) {
        JsonNode root = Json.readYamlTree(yaml);
        JsonNode ts = root.get("tasks");
        if (ts == null || !ts.isObject() || ts.isEmpty()) {
            throw new LaemException(yaml + ": field 'tasks' must map task names to their files");
        }
        Path dir = yaml.toAbsolutePath().getParent();
        Map<String, Map<String, Path>> tasks = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ts.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isObject() || e.getValue().isEmpty()) {
                throw new LaemException(yaml + ": task '" + e.getKey() + "' must map splits (" + String.join(", ", SPLITS) + ") to JSONL files");
            }
            Map<String, Path> splits = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> s = e.getValue().fields(); s.hasNext(); ) {
                Map.Entry<String, JsonNode> f = s.next();
                if (!f.getValue().isTextual()) {
                    throw new LaemException(yaml + ": tasks." + e.getKey() + "." + f.getKey() + " must be a file path");
                }
                splits.put(f.getKey(), dir.resolve(f.getValue().asText()).normalize());
            }
            tasks.put(e.getKey(), splits);
        }
        return new TaskSuite(yaml, tasks);
    }

    /** The YAML file and every data file it names (inputs an output must never replace). */
    public List<Path> files() {
        List<Path> all = new java.util.ArrayList<>();
        all.add(file);
        tasks.values().forEach(s -> all.addAll(s.values()));
        return all;
    }

    public List<String> names() {
        return List.copyOf(tasks.keySet());
    }

    /** The file of a task's split; an unknown task or split is an error naming the YAML file. */
    public Path path(String task, String split) {
        Map<String, Path> s = tasks.get(task);
        if (s == null) {
            throw new LaemException(file + ": no task '" + task + "' (tasks: " + String.join(", ", tasks.keySet()) + ")");
        }
        Path p = s.get(split);
        if (p == null) {
            throw new LaemException(file + ": task '" + task + "' has no split '" + split + "' (splits: " + String.join(", ", s.keySet()) + ")");
        }
        return p;
    }

    public List<Example> examples(String task, String split) {
        return ScoreData.readJsonl(path(task, split));
    }

    /** The examples of one split of every task, in file order. */
    public Map<String, List<Example>> split(String split) {
        Map<String, List<Example>> out = new LinkedHashMap<>();
        for (String t : tasks.keySet()) {
            out.put(t, examples(t, split));
        }
        return out;
    }

    /** Writes a tasks.yaml naming, for each task, {@code tasks/<task>/<split>.jsonl} relative to it. */
    public static void writeStandard(Path yaml, List<String> taskNames) {
        ObjectNode root = Json.YAML.createObjectNode();
        ObjectNode ts = root.putObject("tasks");
        for (String t : taskNames) {
            ObjectNode s = ts.putObject(t);
            for (String split : SPLITS) {
                s.put(split, "tasks/" + t + "/" + split + ".jsonl");
            }
        }
        try {
            AtomicFiles.writeString(yaml, Json.YAML.writeValueAsString(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
