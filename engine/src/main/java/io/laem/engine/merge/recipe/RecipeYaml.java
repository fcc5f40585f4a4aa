package io.laem.engine.merge.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and writes {@link Recipe} YAML. Every unknown key and bad value is a one-line error naming
 * the file and the key path ({@code recipe.yaml: key 'redundancy.density' ...}). The top-level key
 * {@value #WORKBENCH} is the workbench's own part of a session file ({@code io.laem.engine.session}):
 * the recipe skips it.
 */
public final class RecipeYaml {
    /** The top-level key of the workbench's part of a session file (adapter colors, merge history). */
    public static final String WORKBENCH = "workbench";
    private static final Set<String> TOP = Set.of("base_model", "adapters", "redundancy", "shared", "weights", "output", "tasks", WORKBENCH);
    private static final Set<String> ADAPTER = Set.of("name", "path");
    private static final Set<String> REDUNDANCY = Set.of("strategy", "density", "energy", "sign", "seed", "rescale");
    private static final Set<String> SHARED = Set.of("mode", "rank", "path");
    private static final Set<String> OUTPUT = Set.of("rank", "dtype");
    private static final Set<String> GROUPS = Set.of("attn", "mlp");
    private static final Set<String> MODULES = Arrays.stream(ModuleKind.values()).map(ModuleKind::peftName).collect(Collectors.toSet());

    private RecipeYaml() {}

    /** Reads a recipe file; relative paths resolve against the file's folder. */
    public static Recipe read(Path file) {
        return parse(file.toString(), Json.readYamlTree(file), dirOf(file));
    }

    /** Parses a recipe from YAML text; relative paths resolve against {@code baseDir}. */
    public static Recipe parse(String source, String yaml, Path baseDir) {
        JsonNode n = Json.parseYaml(source, yaml);
        if (n == null || n.isMissingNode() || n.isNull()) {
            throw new LaemException(source + ": empty recipe");
        }
        return parse(source, n, baseDir);
    }

    /** Parses a recipe from a YAML tree; {@code file} names it in messages, relative paths resolve against {@code baseDir}. */
    public static Recipe parse(String file, JsonNode root, Path baseDir) {
        Ctx c = new Ctx(file, baseDir.toAbsolutePath().normalize());
        c.object(root, "", TOP);
        Path base = c.path(c.required(root, "base_model"), "base_model");

        JsonNode an = c.required(root, "adapters");
        if (!an.isArray() || an.isEmpty()) {
            throw c.bad("adapters", "must be a non-empty list of {name, path}", an);
        }
        List<AdapterRef> adapters = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < an.size(); i++) {
            String k = "adapters[" + i + "]";
            JsonNode a = an.get(i);
            c.object(a, k, ADAPTER);
            String name = c.text(c.required(a, k + ".name"), k + ".name");
            if (name.isBlank() || name.equals(Recipe.SHARED)) {
                throw c.bad(k + ".name", "must be a non-empty name other than 'shared'", a.get("name"));
            }
            if (!names.add(name)) {
                throw c.bad(k + ".name", "repeats the adapter name '" + name + "'", a.get("name"));
            }
            adapters.add(new AdapterRef(name, c.path(c.required(a, k + ".path"), k + ".path")));
        }

        Redundancy red = Redundancy.NONE;
        JsonNode rn = root.get("redundancy");
        if (rn != null && !rn.isNull()) {
            c.object(rn, "redundancy", REDUNDANCY);
            Redundancy.Strategy s = rn.has("strategy")
                    ? c.choice(rn.get("strategy"), "redundancy.strategy", Redundancy.Strategy.class) : Redundancy.Strategy.NONE;
            double density = rn.has("density") ? c.unit(rn.get("density"), "redundancy.density") : 1.0;
            double energy = rn.has("energy") ? c.unit(rn.get("energy"), "redundancy.energy") : 1.0;
            Redundancy.Sign sign = rn.has("sign") ? c.choice(rn.get("sign"), "redundancy.sign", Redundancy.Sign.class) : Redundancy.Sign.TOTAL;
            long seed = 0;
            if (rn.has("seed")) {
                if (!rn.get("seed").isIntegralNumber()) {
                    throw c.bad("redundancy.seed", "must be an integer", rn.get("seed"));
                }
                seed = rn.get("seed").asLong();
            }
            if ((s == Redundancy.Strategy.DARE || s == Redundancy.Strategy.DARE_TIES) && density == 0) {
                throw c.bad("redundancy.density", "must be above 0 for DARE (it rescales by 1/density)", rn.get("density"));
            }
            Redundancy.Rescale rescale = rn.has("rescale")
                    ? c.choice(rn.get("rescale"), "redundancy.rescale", Redundancy.Rescale.class) : Redundancy.Rescale.DENSITY;
            red = new Redundancy(s, density, energy, sign, seed, rescale);
        }

        Shared shared = Shared.NONE;
        JsonNode sn = root.get("shared");
        if (sn != null && !sn.isNull()) {
            c.object(sn, "shared", SHARED);
            Shared.Mode mode = sn.has("mode") ? c.choice(sn.get("mode"), "shared.mode", Shared.Mode.class) : Shared.Mode.NONE;
            int rank = sn.has("rank") ? c.positiveInt(sn.get("rank"), "shared.rank") : Shared.NONE.rank();
            Path p = sn.has("path") && !sn.get("path").isNull() ? c.path(sn.get("path"), "shared.path") : null;
            if (mode == Shared.Mode.ADAPTER && p == null) {
                throw new LaemException(file + ": key 'shared.path' is required when shared.mode is 'adapter'");
            }
            shared = new Shared(mode, rank, p);
        }

        Map<String, Schedule> weights = new LinkedHashMap<>();
        JsonNode wn = root.get("weights");
        if (wn != null && !wn.isNull()) {
            if (!wn.isObject()) {
                throw c.bad("weights", "must be a map from adapter name (or 'shared') to a schedule", wn);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = wn.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = "weights." + e.getKey();
                if (!names.contains(e.getKey()) && !e.getKey().equals(Recipe.SHARED)) {
                    throw new LaemException(file + ": key '" + k + "': no adapter named '" + e.getKey() + "' (adapters: "
                            + String.join(", ", names.stream().sorted().toList()) + ", or 'shared')");
                }
                weights.put(e.getKey(), c.schedule(e.getValue(), k, true));
            }
        }

        Output out = Output.EXACT;
        JsonNode on = root.get("output");
        if (on != null && !on.isNull()) {
            c.object(on, "output", OUTPUT);
            Integer rank = null;
            JsonNode r = on.get("rank");
            if (r != null && !(r.isTextual() && r.asText().equals("exact"))) {
                rank = c.positiveInt(r, "output.rank");
            }
            DType dt = DType.F32;
            if (on.has("dtype")) {
                try {
                    dt = DType.ofUserName(c.text(on.get("dtype"), "output.dtype"));
                } catch (IllegalArgumentException e) {
                    throw c.bad("output.dtype", "must be float32, bfloat16 or float16", on.get("dtype"));
                }
            }
            out = new Output(rank, dt);
        }

        Path tasks = root.has("tasks") && !root.get("tasks").isNull() ? c.path(root.get("tasks"), "tasks") : null;
        return new Recipe(base, adapters, red, shared, weights, out, tasks);
    }

    /** Writes the recipe atomically; paths are written relative to the file's folder where possible. */
    public static void write(Recipe r, Path file) {
        AtomicFiles.writeString(file, toYaml(r, dirOf(file)));
    }

    /** The recipe as YAML text with paths relative to {@code baseDir} where possible. */
    public static String toYaml(Recipe r, Path baseDir) {
        return text(toTree(r, baseDir));
    }

    /** YAML text of a tree. */
    public static String text(JsonNode n) {
        try {
            return Json.YAML.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The recipe as a YAML tree with paths relative to {@code baseDir} where possible. */
    public static ObjectNode toTree(Recipe r, Path baseDir) {
        Path dir = baseDir.toAbsolutePath().normalize();
        ObjectNode n = Json.YAML.createObjectNode();
        n.put("base_model", rel(dir, r.baseModel()));
        ArrayNode as = n.putArray("adapters");
        for (AdapterRef a : r.adapters()) {
            ObjectNode o = as.addObject();
            o.put("name", a.name());
            o.put("path", rel(dir, a.path()));
        }
        ObjectNode red = n.putObject("redundancy");
        red.put("strategy", r.redundancy().strategy().key());
        red.put("density", r.redundancy().density());
        red.put("energy", r.redundancy().energy());
        red.put("sign", r.redundancy().sign().key());
        red.put("seed", r.redundancy().seed());
        if (r.redundancy().rescale() != Redundancy.Rescale.DENSITY) {
            red.put("rescale", r.redundancy().rescale().key());
        }
        ObjectNode sh = n.putObject("shared");
        sh.put("mode", r.shared().mode().key());
        sh.put("rank", r.shared().rank());
        if (r.shared().path() != null) {
            sh.put("path", rel(dir, r.shared().path()));
        }
        ObjectNode w = n.putObject("weights");
        r.weights().forEach((k, s) -> w.set(k, scheduleNode(s)));
        ObjectNode out = n.putObject("output");
        if (r.output().exact()) {
            out.put("rank", "exact");
        } else {
            out.put("rank", r.output().rank());
        }
        out.put("dtype", switch (r.output().dtype()) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        });
        if (r.tasks() != null) {
            n.put("tasks", rel(dir, r.tasks()));
        }
        return n;
    }

    /** A schedule as the {@code weights:} section reads it; errors name {@code file} and {@code key}. */
    public static Schedule schedule(String file, JsonNode n, String key) {
        return new Ctx(file, Path.of("").toAbsolutePath()).schedule(n, key, true);
    }

    /** A schedule as the {@code weights:} section writes it. */
    public static JsonNode scheduleNode(Schedule s) {
        return switch (s) {
            case Schedule.Constant c -> Json.YAML.getNodeFactory().numberNode(c.value());
            case Schedule.Gradient g -> {
                ArrayNode a = Json.YAML.createArrayNode();
                for (double v : g.points()) {
                    a.add(v);
                }
                yield a;
            }
            case Schedule.PerGroup p -> {
                ObjectNode o = Json.YAML.createObjectNode();
                o.set("attn", scheduleNode(p.attn()));
                o.set("mlp", scheduleNode(p.mlp()));
                yield o;
            }
            case Schedule.PerModule p -> {
                ObjectNode o = Json.YAML.createObjectNode();
                p.modules().forEach((k, v) -> o.set(k.peftName(), scheduleNode(v)));
                yield o;
            }
        };
    }

    private static String rel(Path dir, Path p) {
        Path abs = p.toAbsolutePath().normalize();
        if (abs.getRoot() != null && abs.getRoot().equals(dir.getRoot())) {
            return dir.relativize(abs).toString().replace('\\', '/');
        }
        return abs.toString();
    }

    private static Path dirOf(Path file) {
        Path parent = file.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    /** Parsing context: the file name for messages and the folder relative paths resolve against. */
    private record Ctx(String file, Path dir) {
        LaemException bad(String key, String what, JsonNode got) {
            return new LaemException(file + ": key '" + key + "' " + what + ", got " + (got == null ? "nothing" : got.toString()));
        }

        void object(JsonNode n, String key, Set<String> allowed) {
            if (n == null || !n.isObject()) {
                throw new LaemException(file + ": " + (key.isEmpty() ? "the recipe" : "key '" + key + "'") + " must be a map, got "
                        + (n == null ? "nothing" : n.toString()));
            }
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    String full = key.isEmpty() ? f : key + "." + f;
                    throw new LaemException(file + ": unknown key '" + full + "' (expected one of "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        JsonNode required(JsonNode n, String key) {
            JsonNode v = n.get(key.substring(key.lastIndexOf('.') + 1));
            if (v == null || v.isNull()) {
                throw new LaemException(file + ": key '" + key + "' is missing");
            }
            return v;
        }

        String text(JsonNode n, String key) {
            if (!n.isTextual()) {
                throw bad(key, "must be a string", n);
            }
            return n.asText();
        }

        Path path(JsonNode n, String key) {
            String s = text(n, key);
            if (s.isBlank()) {
                throw bad(key, "must be a path", n);
            }
            return dir.resolve(s).normalize();
        }

        double unit(JsonNode n, String key) {
            if (!n.isNumber() || !(n.asDouble() >= 0 && n.asDouble() <= 1)) {
                throw bad(key, "must be a number in [0, 1]", n);
            }
            return n.asDouble();
        }

        int positiveInt(JsonNode n, String key) {
            if (!n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > Integer.MAX_VALUE) {
                throw bad(key, "must be a positive integer" + (key.equals("output.rank") ? " or 'exact'" : ""), n);
            }
            return n.asInt();
        }

        <E extends Enum<E>> E choice(JsonNode n, String key, Class<E> type) {
            String s = text(n, key);
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return e;
                }
            }
            List<String> opts = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                opts.add(e.name().toLowerCase(Locale.ROOT));
            }
            throw bad(key, "must be one of " + String.join("|", opts), n);
        }

        Schedule schedule(JsonNode n, String key, boolean groupsAllowed) {
            if (n.isNumber()) {
                return Schedule.constant(finite(n, key));
            }
            if (n.isArray()) {
                if (n.isEmpty()) {
                    throw bad(key, "must not be an empty list", n);
                }
                double[] v = new double[n.size()];
                for (int i = 0; i < v.length; i++) {
                    if (!n.get(i).isNumber()) {
                        throw bad(key + "[" + i + "]", "must be a number", n.get(i));
                    }
                    v[i] = finite(n.get(i), key + "[" + i + "]");
                }
                return Schedule.gradient(v);
            }
            if (n.isObject() && groupsAllowed && (n.has("attn") || n.has("mlp"))) {
                object(n, key, GROUPS);
                if (!n.has("attn") || !n.has("mlp")) {
                    throw new LaemException(file + ": key '" + key + "' needs both 'attn' and 'mlp'");
                }
                return Schedule.perGroup(schedule(n.get("attn"), key + ".attn", false), schedule(n.get("mlp"), key + ".mlp", false));
            }
            if (n.isObject() && groupsAllowed) {
                object(n, key, MODULES);
                Map<ModuleKind, Schedule> modules = new EnumMap<>(ModuleKind.class);
                for (ModuleKind k : ModuleKind.values()) {
                    if (n.has(k.peftName())) {
                        modules.put(k, schedule(n.get(k.peftName()), key + "." + k.peftName(), false));
                    } else if (!k.fused()) {
                        throw new LaemException(file + ": key '" + key + "' names modules but not '" + k.peftName()
                                + "' (a module map needs every one of " + String.join(", ", ModuleKind.unfused().stream().map(ModuleKind::peftName).toList()) + ")");
                    }
                }
                return Schedule.perModule(modules);
            }
            throw bad(key, groupsAllowed ? "must be a number, a list of numbers, {attn: ..., mlp: ...} or {q_proj: ..., ..., down_proj: ...}"
                    : "must be a number or a list of numbers", n);
        }

        private double finite(JsonNode n, String key) {
            double v = n.asDouble();
            if (!Double.isFinite(v)) {
                throw bad(key, "must be a finite number", n);
            }
            return v;
        }
    }
}
