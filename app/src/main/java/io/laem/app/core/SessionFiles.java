package io.laem.app.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.ModuleKind.Group;
import io.laem.engine.session.SessionFile;
import io.laem.engine.session.Workbench;
import java.util.LinkedHashMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The session on disk: the engine's session file ({@link SessionFile}: a recipe YAML, so {@code laem
 * merge SESSION} runs it, with the workbench's part: adapter colors, disabled adapters' weights, the
 * merge history) whose {@code tasks:} names a tasks YAML ({@code tasks: {NAME: {validation: FILE}}}).
 * A disabled adapter has weight 0 in the recipe and keeps its weights in the workbench part; in a
 * session file without that part, adapters whose weight is 0 everywhere come back disabled.
 */
public final class SessionFiles {
    private SessionFiles() {}

    public static SessionData read(Path file) {
        Recipe r = RecipeYaml.read(file);
        Workbench wb = SessionFile.read(file);
        int layers = numLayers(r.baseModel());
        List<SessionData.AdapterRef> adapters = new ArrayList<>();
        List<String> series = new ArrayList<>();
        Map<String, Schedule> weights = new LinkedHashMap<>(r.weights());
        for (Recipe.AdapterRef a : r.adapters()) {
            Workbench.AdapterView v = wb.adapters().get(a.name());
            boolean off = v != null ? !v.enabled() : weights.get(a.name()) instanceof Schedule.Constant c && c.value() == 0;
            if (off && v != null && v.keptWeights() != null) {
                weights.put(a.name(), v.keptWeights());
            }
            adapters.add(new SessionData.AdapterRef(a.name(), a.path(), !off, v == null ? null : v.color()));
            series.add(a.name());
        }
        series.add(Recipe.SHARED);
        List<SessionData.TaskRef> tasks = r.tasks() == null ? List.of() : readTasks(r.tasks());
        Table w = table(weights, series, layers);
        return new SessionData(r.baseModel(), adapters, tasks, r.tasks(), w.mode, w.values, w.modules,
                new MergeSettings.Values(r.redundancy(), r.shared(), r.output()), r.redundancy().seed(), wb.history());
    }

    /** Writes the recipe, and a tasks file next to it unless the session's tasks file is unchanged. */
    public static void write(Path file, SessionData s) {
        if (s.base() == null) {
            throw new LaemException(file + ": cannot save a session without a base model");
        }
        if (s.adapters().isEmpty()) {
            throw new LaemException(file + ": cannot save a session without adapters (a recipe needs at least one)");
        }
        List<Path> inputs = s.inputs();
        OutputTarget.file(file).force(true).protecting(inputs).check(); // the save dialog asked before replacing
        Path tasks = s.tasksFile();
        if (tasks == null && !s.tasks().isEmpty()) {
            String stem = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            tasks = file.toAbsolutePath().resolveSibling(stem + ".tasks.yaml");
            OutputTarget.file(tasks).force(true).protecting(inputs).protecting(file).check();
            writeTasks(tasks, s.tasks());
        }
        Map<String, Workbench.AdapterView> views = new LinkedHashMap<>();
        for (int i = 0; i < s.adapters().size(); i++) {
            SessionData.AdapterRef a = s.adapters().get(i);
            views.put(a.name(), new Workbench.AdapterView(a.color(), a.enabled(), a.enabled() ? null : s.schedule(i)));
        }
        SessionFile.write(file, s.toRecipe(false, tasks), new Workbench(views, s.history()));
    }

    /** The validation file of every task in a tasks YAML ({@code tasks: {NAME: {validation: FILE, ...}}}). */
    public static List<SessionData.TaskRef> readTasks(Path yaml) {
        JsonNode ts = Json.readYamlTree(yaml).get("tasks");
        if (ts == null || !ts.isObject()) {
            throw new LaemException(yaml + ": field 'tasks' must map task names to their files");
        }
        Path dir = yaml.toAbsolutePath().getParent();
        List<SessionData.TaskRef> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ts.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue().get("validation");
            if (v == null || !v.isTextual()) {
                throw new LaemException(yaml + ": tasks." + e.getKey() + ".validation must be a file path");
            }
            out.add(new SessionData.TaskRef(e.getKey(), dir.resolve(v.asText()).normalize()));
        }
        return out;
    }

    private static void writeTasks(Path yaml, List<SessionData.TaskRef> tasks) {
        Path dir = yaml.toAbsolutePath().getParent();
        ObjectNode root = Json.YAML.createObjectNode();
        ObjectNode ts = root.putObject("tasks");
        for (SessionData.TaskRef t : tasks) {
            Path abs = t.file().toAbsolutePath().normalize();
            ts.putObject(t.name()).put("validation", abs.startsWith(dir) ? dir.relativize(abs).toString() : abs.toString());
        }
        try {
            AtomicFiles.writeString(yaml, Json.YAML.writeValueAsString(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LaemException(yaml + ": cannot write tasks: " + e.getOriginalMessage());
        }
    }

    private static int numLayers(Path base) {
        Path cfg = base.resolve("config.json");
        return Files.isRegularFile(cfg) ? ModelConfig.read(cfg).numLayers() : 1;
    }

    /** The weight table's mode and control points [group][series][point]. */
    /**
     * The weight table's mode, control points [group][series][point], and the weights per module when a schedule is
     * per module (else null).
     */
    public record Table(WeightTable.Mode mode, double[][][] values, MergeWeights modules) {
        public Table(WeightTable.Mode mode, double[][][] values) {
            this(mode, values, null);
        }
    }

    /**
     * The table for schedules of the series (a series without one has the recipe's default weight):
     * when every schedule is a list of the same length (or a number), those are the control points;
     * otherwise one value per layer.
     */
    public static Table table(Map<String, Schedule> weights, List<String> series, int layers) {
        int n = -1;
        boolean common = true;
        for (String s : series) {
            Schedule sc = weights.get(s);
            if (sc instanceof Schedule.Gradient g) {
                common &= n < 0 || n == g.points().length;
                n = g.points().length;
            } else if (sc instanceof Schedule.PerGroup || sc instanceof Schedule.PerModule) {
                common = false;
            }
        }
        double[][][] v = new double[2][series.size()][];
        if (common && n > 0 && n <= layers) {
            for (int s = 0; s < series.size(); s++) {
                Schedule sc = weights.get(series.get(s));
                double[] p = sc instanceof Schedule.Gradient g ? g.points() : constant(n, sc == null ? Recipe.DEFAULT_WEIGHT : sc.at(0, layers, ModuleKind.Q_PROJ));
                v[0][s] = p;
                v[1][s] = p.clone();
            }
            return new Table(n == layers && layers > 1 ? WeightTable.Mode.PER_LAYER : WeightTable.Mode.CONTROL_POINTS, v);
        }
        if (n < 0 && common) {
            // numbers only (or nothing): control points holding the numbers
            int k = Math.min(WeightTable.DEFAULT_CONTROL_POINTS, layers);
            for (int s = 0; s < series.size(); s++) {
                Schedule sc = weights.get(series.get(s));
                for (Group g : Group.values()) {
                    ModuleKind kind = g == Group.ATTN ? ModuleKind.Q_PROJ : ModuleKind.GATE_PROJ;
                    v[g.ordinal()][s] = constant(k, sc == null ? Recipe.DEFAULT_WEIGHT : sc.at(0, layers, kind));
                }
            }
            return new Table(WeightTable.Mode.CONTROL_POINTS, v);
        }
        MergeWeights modules = MergeWeights.ofModules(series, layers, (e, l, k) -> {
            Schedule sc = weights.get(series.get(e));
            return sc == null ? Recipe.DEFAULT_WEIGHT : sc.at(l, layers, k);
        });
        boolean perModule = false;
        for (int s = 0; s < series.size(); s++) {
            boolean own = weights.get(series.get(s)) instanceof Schedule.PerModule;
            perModule |= own;
            for (Group g : Group.values()) {
                // per module: the group's mean over its modules, as the table shows per-module weights
                v[g.ordinal()][s] = own ? modules.groupMeans(s, g) : modules.layerWeights(s, g);
            }
        }
        return new Table(WeightTable.Mode.PER_LAYER, v, perModule ? modules : null);
    }

    private static double[] constant(int n, double v) {
        double[] p = new double[n];
        java.util.Arrays.fill(p, v);
        return p;
    }
}
