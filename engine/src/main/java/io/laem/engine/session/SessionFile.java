package io.laem.engine.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A session file: a recipe ({@link RecipeYaml}, what {@code laem merge SESSION} runs) with the
 * workbench's part under {@code workbench:}. Old session files without it read as {@link Workbench#EMPTY}.
 *
 * <pre>
 * workbench:
 *   adapters: {NAME: {color: "#rrggbb", enabled: true|false, weights: SCHEDULE}}   # weights: kept while disabled
 *   history:
 *     - {number: N, label: TEXT, time: ISO-8601, source: evaluated|optimizer|exported|kept, split: validation|test,
 *        scores: {TASK: {exact_match, mean_nll, examples}},
 *        base_model, adapters, redundancy, shared, weights, output}                    # the merge, as a recipe
 * </pre>
 */
public final class SessionFile {
    private static final Set<String> META = Set.of("number", "label", "time", "source", "split", "scores");
    private static final Set<String> ADAPTER_VIEW = Set.of("color", "enabled", "weights");

    private SessionFile() {}

    /** The workbench part of a session file (relative paths against the file's folder). */
    public static Workbench read(Path file) {
        return parse(file.toString(), Json.readYamlTree(file), dirOf(file));
    }

    /** The recipe of history entry {@code n} of a session file: the merge as it was kept. */
    public static Recipe entryRecipe(Path file, int n) {
        Workbench w = read(file);
        return w.entry(n).orElseThrow(() -> new LaemException(file + ": no history entry " + n
                + (w.history().isEmpty() ? " (the session has no merge history)"
                        : " (entries: " + String.join(", ", w.history().stream().map(e -> Integer.toString(e.number())).toList()) + ")")))
                .recipe();
    }

    /** Writes the session atomically: the recipe, then the workbench part. */
    public static void write(Path file, Recipe session, Workbench w) {
        Path dir = dirOf(file);
        ObjectNode root = RecipeYaml.toTree(session, dir);
        if (!w.adapters().isEmpty() || !w.history().isEmpty()) {
            root.set(RecipeYaml.WORKBENCH, toTree(w, dir));
        }
        AtomicFiles.writeString(file, RecipeYaml.text(root));
    }

    static ObjectNode toTree(Workbench w, Path dir) {
        ObjectNode n = Json.YAML.createObjectNode();
        if (!w.adapters().isEmpty()) {
            ObjectNode as = n.putObject("adapters");
            w.adapters().forEach((name, v) -> {
                ObjectNode a = as.putObject(name);
                if (v.color() != null) {
                    a.put("color", v.color());
                }
                a.put("enabled", v.enabled());
                if (v.keptWeights() != null) {
                    a.set("weights", RecipeYaml.scheduleNode(v.keptWeights()));
                }
            });
        }
        ArrayNode hs = n.putArray("history");
        for (HistoryEntry e : w.history()) {
            ObjectNode h = hs.addObject();
            h.put("number", e.number());
            h.put("label", e.label());
            h.put("time", e.time().toString());
            h.put("source", e.source().key());
            if (e.split() != null) {
                h.put("split", e.split());
            }
            if (!e.scores().isEmpty()) {
                ObjectNode sc = h.putObject("scores");
                e.scores().forEach((t, s) -> sc.putObject(t).put("exact_match", s.exactMatch()).put("mean_nll", s.meanNll())
                        .put("examples", s.examples()));
            }
            ObjectNode r = RecipeYaml.toTree(e.recipe(), dir);
            r.remove("tasks");
            h.setAll(r);
        }
        return n;
    }

    static Workbench parse(String file, JsonNode root, Path dir) {
        JsonNode w = root == null ? null : root.get(RecipeYaml.WORKBENCH);
        if (w == null || w.isNull()) {
            return Workbench.EMPTY;
        }
        String key = RecipeYaml.WORKBENCH;
        object(file, w, key, Set.of("adapters", "history"));
        Map<String, Workbench.AdapterView> adapters = new LinkedHashMap<>();
        JsonNode an = w.get("adapters");
        if (an != null && !an.isNull()) {
            object(file, an, key + ".adapters", null);
            for (Iterator<Map.Entry<String, JsonNode>> it = an.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = key + ".adapters." + e.getKey();
                JsonNode a = e.getValue();
                object(file, a, k, ADAPTER_VIEW);
                String color = null;
                if (a.has("color") && !a.get("color").isNull()) {
                    color = a.get("color").asText();
                    if (!a.get("color").isTextual() || !color.matches("#[0-9a-fA-F]{6}")) {
                        throw bad(file, k + ".color", "must be a color #rrggbb", a.get("color"));
                    }
                }
                boolean enabled = true;
                if (a.has("enabled")) {
                    if (!a.get("enabled").isBoolean()) {
                        throw bad(file, k + ".enabled", "must be true or false", a.get("enabled"));
                    }
                    enabled = a.get("enabled").asBoolean();
                }
                var kept = a.has("weights") && !a.get("weights").isNull() ? RecipeYaml.schedule(file, a.get("weights"), k + ".weights") : null;
                adapters.put(e.getKey(), new Workbench.AdapterView(color, enabled, kept));
            }
        }
        List<HistoryEntry> history = new ArrayList<>();
        JsonNode hn = w.get("history");
        if (hn != null && !hn.isNull()) {
            if (!hn.isArray()) {
                throw bad(file, key + ".history", "must be a list of merges", hn);
            }
            Set<Integer> numbers = new HashSet<>();
            for (int i = 0; i < hn.size(); i++) {
                HistoryEntry e = entry(file, hn.get(i), key + ".history[" + i + "]", dir);
                if (!numbers.add(e.number())) {
                    throw bad(file, key + ".history[" + i + "].number", "repeats entry number " + e.number(), hn.get(i).get("number"));
                }
                history.add(e);
            }
        }
        return new Workbench(adapters, history);
    }

    private static HistoryEntry entry(String file, JsonNode h, String key, Path dir) {
        object(file, h, key, null);
        JsonNode num = h.get("number");
        if (num == null || !num.isIntegralNumber() || num.asLong() < 1 || num.asLong() > Integer.MAX_VALUE) {
            throw bad(file, key + ".number", "must be a positive integer", num);
        }
        int number = num.asInt();
        String label = h.has("label") && !h.get("label").isNull() ? h.get("label").asText() : "";
        Instant time;
        try {
            time = Instant.parse(text(file, h, key + ".time"));
        } catch (DateTimeParseException e) {
            throw bad(file, key + ".time", "must be an ISO-8601 time such as 2026-01-31T12:00:00Z", h.get("time"));
        }
        String src = text(file, h, key + ".source");
        HistoryEntry.Source source = null;
        for (HistoryEntry.Source s : HistoryEntry.Source.values()) {
            if (s.key().equals(src)) {
                source = s;
            }
        }
        if (source == null) {
            throw bad(file, key + ".source", "must be one of evaluated|optimizer|exported|kept", h.get("source"));
        }
        String split = h.has("split") && !h.get("split").isNull() ? text(file, h, key + ".split") : null;
        Map<String, TaskScore> scores = new LinkedHashMap<>();
        JsonNode sn = h.get("scores");
        if (sn != null && !sn.isNull()) {
            object(file, sn, key + ".scores", null);
            for (Iterator<Map.Entry<String, JsonNode>> it = sn.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = key + ".scores." + e.getKey();
                object(file, e.getValue(), k, Set.of("exact_match", "mean_nll", "examples"));
                double em = number(file, e.getValue(), k + ".exact_match");
                double nll = number(file, e.getValue(), k + ".mean_nll");
                if (em < 0 || em > 1) {
                    throw bad(file, k + ".exact_match", "must be in [0, 1]", e.getValue().get("exact_match"));
                }
                JsonNode ex = e.getValue().get("examples");
                if (ex == null || !ex.isIntegralNumber() || ex.asLong() < 0 || ex.asLong() > Integer.MAX_VALUE) {
                    throw bad(file, k + ".examples", "must be a count", ex);
                }
                scores.put(e.getKey(), new TaskScore(em, nll, ex.asInt()));
            }
        }
        ObjectNode recipe = ((ObjectNode) h).deepCopy();
        recipe.remove(META);
        Recipe r = RecipeYaml.parse(file + ": " + key, recipe, dir);
        return new HistoryEntry(number, label, time, source, split, r, scores);
    }

    private static void object(String file, JsonNode n, String key, Set<String> allowed) {
        if (n == null || !n.isObject()) {
            throw bad(file, key, "must be a map", n);
        }
        if (allowed != null) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw new LaemException(file + ": unknown key '" + key + "." + f + "' (expected one of "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }
    }

    private static String text(String file, JsonNode h, String key) {
        JsonNode v = h.get(key.substring(key.lastIndexOf('.') + 1));
        if (v == null || !v.isTextual()) {
            throw bad(file, key, "must be a string", v);
        }
        return v.asText();
    }

    private static double number(String file, JsonNode h, String key) {
        JsonNode v = h.get(key.substring(key.lastIndexOf('.') + 1));
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw bad(file, key, "must be a finite number", v);
        }
        return v.asDouble();
    }

    private static LaemException bad(String file, String key, String what, JsonNode got) {
        return new LaemException(file + ": key '" + key + "' " + what + ", got " + (got == null ? "nothing" : got.toString()));
    }

    private static Path dirOf(Path file) {
        Path parent = file.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }
}
