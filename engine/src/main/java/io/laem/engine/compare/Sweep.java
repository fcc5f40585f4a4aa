package io.laem.engine.compare;

import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep of one weight over chosen values, one grid column per value: an adapter's (or the shared
 * module's) weight, on every layer or on a group of layers ({@code from..to}, inclusive), on both
 * module groups or on attention or MLP modules only. Everything else keeps the recipe's weights; {@code *}
 * sweeps every entry of the recipe together. Written {@code ENTRY[@FROM[-TO]][:attn|:mlp]=V1,V2,...}.
 *
 * @param fromLayer first layer swept, -1 for every layer ({@code toLayer} too)
 * @param group the module group swept, null for both
 */
public record Sweep(String entry, int fromLayer, int toLayer, ModuleKind.Group group, List<Double> values) {
    public static final String EVERY_ENTRY = "*";

    public Sweep {
        values = List.copyOf(values);
        if (values.isEmpty()) {
            throw new LaemException("sweep of " + entry + ": no values");
        }
        if (fromLayer < -1 || toLayer < fromLayer || (fromLayer == -1) != (toLayer == -1)) {
            throw new LaemException("sweep of " + entry + ": bad layer range " + fromLayer + "-" + toLayer);
        }
    }

    /** The whole entry on every layer and module. */
    public static Sweep of(String entry, List<Double> values) {
        return new Sweep(entry, -1, -1, null, values);
    }

    /** Parses {@code ENTRY[@FROM[-TO]][:attn|:mlp]=V1,V2,...}; a bad spec is one line naming it. */
    public static Sweep parse(String spec) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw bad(spec, "expected ENTRY[@FROM[-TO]][:attn|:mlp]=V1,V2,...");
        }
        String target = spec.substring(0, eq);
        List<Double> values = new ArrayList<>();
        for (String v : spec.substring(eq + 1).split(",")) {
            try {
                double d = Double.parseDouble(v.trim());
                if (!Double.isFinite(d)) {
                    throw bad(spec, "weight '" + v.trim() + "' is not a finite number");
                }
                values.add(d);
            } catch (NumberFormatException e) {
                throw bad(spec, "weight '" + v.trim() + "' is not a number");
            }
        }
        ModuleKind.Group group = null;
        int colon = target.lastIndexOf(':');
        if (colon >= 0) {
            String g = target.substring(colon + 1);
            group = switch (g.toLowerCase(Locale.ROOT)) {
                case "attn", "attention" -> ModuleKind.Group.ATTN;
                case "mlp" -> ModuleKind.Group.MLP;
                default -> throw bad(spec, "module group '" + g + "' is not attn or mlp");
            };
            target = target.substring(0, colon);
        }
        int from = -1;
        int to = -1;
        int at = target.lastIndexOf('@');
        if (at >= 0) {
            String range = target.substring(at + 1);
            try {
                int dash = range.indexOf('-');
                from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
            } catch (NumberFormatException e) {
                throw bad(spec, "layers '" + range + "' are not FROM or FROM-TO");
            }
            if (from < 0 || to < from) {
                throw bad(spec, "layers '" + range + "' are not FROM or FROM-TO with 0 <= FROM <= TO");
            }
            target = target.substring(0, at);
        }
        if (target.isEmpty()) {
            throw bad(spec, "no adapter name");
        }
        return new Sweep(target, from, to, group, values);
    }

    private static LaemException bad(String spec, String why) {
        return new LaemException("--sweep " + spec + ": " + why);
    }

    /** The recipe with the swept weight at {@code value}; an entry, layer or module group it lacks is an error. */
    public Recipe apply(Recipe r, double value, int numLayers) {
        List<String> targets = targets(r);
        if (toLayer >= numLayers) {
            throw new LaemException("sweep of " + entry + ": layer " + toLayer + " is past the model's last layer " + (numLayers - 1));
        }
        for (String e : targets) {
            if (fromLayer < 0 && group == null) {
                r = r.withWeight(e, Schedule.constant(value));
                continue;
            }
            if (r.weights().get(e) instanceof Schedule.PerModule) { // keep the other modules' own weights
                Recipe before = r;
                r = r.withWeight(e, Schedule.perModule(numLayers, (l, k) ->
                        (fromLayer < 0 || l >= fromLayer && l <= toLayer) && (group == null || k.group() == group)
                                ? value : before.weight(e, l, numLayers, k)));
                continue;
            }
            double[] attn = new double[numLayers];
            double[] mlp = new double[numLayers];
            for (int l = 0; l < numLayers; l++) {
                boolean in = fromLayer < 0 || l >= fromLayer && l <= toLayer;
                attn[l] = in && group != ModuleKind.Group.MLP ? value : r.weight(e, l, numLayers, ModuleKind.Q_PROJ);
                mlp[l] = in && group != ModuleKind.Group.ATTN ? value : r.weight(e, l, numLayers, ModuleKind.GATE_PROJ);
            }
            r = r.withPerGroupWeights(e, attn, mlp);
        }
        return r;
    }

    private List<String> targets(Recipe r) {
        List<String> entries = new ArrayList<>(r.adapterNames());
        if (r.shared().mode() != Recipe.Shared.Mode.NONE) {
            entries.add(Recipe.SHARED);
        }
        if (entry.equals(EVERY_ENTRY)) {
            return entries;
        }
        if (!entries.contains(entry)) {
            throw new LaemException("sweep of " + entry + ": the merge has no entry '" + entry + "' (entries: " + String.join(", ", entries) + ")");
        }
        return List.of(entry);
    }

    /** The column label of one value, e.g. {@code shift=0.5}, {@code shift@0-3:mlp=0.5}. */
    public String label(double value) {
        StringBuilder b = new StringBuilder(entry);
        if (fromLayer >= 0) {
            b.append('@').append(fromLayer);
            if (toLayer != fromLayer) {
                b.append('-').append(toLayer);
            }
        }
        if (group != null) {
            b.append(':').append(group == ModuleKind.Group.ATTN ? "attn" : "mlp");
        }
        return b.append('=').append(number(value)).toString();
    }

    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
