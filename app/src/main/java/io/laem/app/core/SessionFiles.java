package io.laem.app.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the session YAML. Paths are stored relative to the session file's folder when
 * they lie below it, so a session folder can be moved as a whole.
 */
public final class SessionFiles {
    private SessionFiles() {}

    public static SessionData read(Path file) {
        JsonNode n = Json.readYamlTree(file);
        Path dir = file.toAbsolutePath().getParent();
        Path base = n.hasNonNull("base") ? resolve(dir, n.get("base").asText()) : null;
        List<SessionData.AdapterRef> adapters = new ArrayList<>();
        for (JsonNode a : n.path("adapters")) {
            if (!a.hasNonNull("path")) {
                throw new LaemException(file + ": field 'adapters[].path' is missing");
            }
            Path p = resolve(dir, a.get("path").asText());
            String name = a.path("name").asText(p.getFileName().toString());
            adapters.add(new SessionData.AdapterRef(name, p, a.path("enabled").asBoolean(true),
                    a.hasNonNull("color") ? a.get("color").asText() : null));
        }
        List<SessionData.TaskRef> tasks = new ArrayList<>();
        for (JsonNode t : n.path("tasks")) {
            JsonNode pathNode = t.has("validation") ? t.get("validation") : t.get("path");
            if (pathNode == null) {
                throw new LaemException(file + ": field 'tasks[].path' is missing");
            }
            Path p = resolve(dir, pathNode.asText());
            tasks.add(new SessionData.TaskRef(t.path("name").asText(p.getFileName().toString()), p));
        }
        JsonNode m = n.path("merge");
        JsonNode w = n.path("weights");
        WeightTable.Mode mode = "per_layer".equals(w.path("mode").asText()) ? WeightTable.Mode.PER_LAYER : WeightTable.Mode.CONTROL_POINTS;
        double[][][] values = null;
        if (w.has("attn") && w.has("mlp")) {
            List<String> names = new ArrayList<>(adapters.stream().map(SessionData.AdapterRef::name).toList());
            names.add(WeightTable.SHARED);
            values = new double[2][names.size()][];
            for (Group g : Group.values()) {
                JsonNode gn = w.get(g.key());
                for (int s = 0; s < names.size(); s++) {
                    JsonNode arr = gn.get(names.get(s));
                    if (arr == null || !arr.isArray() || arr.isEmpty()) {
                        values = null;
                        break;
                    }
                    double[] v = new double[arr.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = arr.get(i).asDouble();
                    }
                    values[g.ordinal()][s] = v;
                }
                if (values == null) {
                    break;
                }
            }
        }
        return new SessionData(base, adapters, tasks, mode, values, null,
                MergeSettings.Redundancy.ofKey(m.path("redundancy").asText("ties")), m.path("density").asDouble(0.5),
                MergeSettings.Shared.ofKey(m.path("shared").asText("consensus")), m.path("shared_energy").asDouble(0.5),
                n.path("seed").asLong(42));
    }

    public static void write(Path file, SessionData s) {
        Path dir = file.toAbsolutePath().getParent();
        ObjectNode root = Json.YAML.createObjectNode();
        if (s.base() != null) {
            root.put("base", relative(dir, s.base()));
        }
        ArrayNode as = root.putArray("adapters");
        for (SessionData.AdapterRef a : s.adapters()) {
            ObjectNode o = as.addObject();
            o.put("name", a.name());
            o.put("path", relative(dir, a.dir()));
            o.put("enabled", a.enabled());
            if (a.color() != null) {
                o.put("color", a.color());
            }
        }
        ArrayNode ts = root.putArray("tasks");
        for (SessionData.TaskRef t : s.tasks()) {
            ts.addObject().put("name", t.name()).put("validation", relative(dir, t.file()));
        }
        ObjectNode m = root.putObject("merge");
        m.put("redundancy", s.redundancy().key());
        m.put("density", s.density());
        m.put("shared", s.shared().key());
        m.put("shared_energy", s.sharedEnergy());
        if (s.weightValues() != null) {
            ObjectNode w = root.putObject("weights");
            w.put("mode", s.weightMode() == WeightTable.Mode.PER_LAYER ? "per_layer" : "control_points");
            List<String> names = new ArrayList<>(s.adapters().stream().map(SessionData.AdapterRef::name).toList());
            names.add(WeightTable.SHARED);
            for (Group g : Group.values()) {
                ObjectNode gn = w.putObject(g.key());
                for (int i = 0; i < names.size() && i < s.weightValues()[g.ordinal()].length; i++) {
                    ArrayNode arr = gn.putArray(names.get(i));
                    for (double v : s.weightValues()[g.ordinal()][i]) {
                        arr.add(Math.round(v * 1e6) / 1e6);
                    }
                }
            }
        }
        root.put("seed", s.seed());
        try {
            AtomicFiles.writeString(file, Json.YAML.writeValueAsString(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LaemException(file + ": cannot write session: " + e.getOriginalMessage());
        }
    }

    private static Path resolve(Path dir, String p) {
        return dir.resolve(p).normalize();
    }

    private static String relative(Path dir, Path p) {
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(dir) ? dir.relativize(abs).toString() : abs.toString();
    }
}
