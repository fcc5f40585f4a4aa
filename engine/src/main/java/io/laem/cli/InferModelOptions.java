package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.infer.Devices;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options {@code laem generate} and {@code laem score} share: base model, adapters, recipe, device. */
final class InferModelOptions {
    @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model folder (HF format).")
    Path base;

    @Option(names = "--adapter", paramLabel = "DIR[:WEIGHT]",
            description = "PEFT adapter folder, at WEIGHT (default 1) on every layer. Repeatable.")
    List<String> adapters = new ArrayList<>();

    @Option(names = "--recipe", paramLabel = "FILE", description = "Merge recipe (YAML): its adapters, redundancy removal, shared module and per-layer weights.")
    Path recipe;

    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    /** A spec "DIR[:WEIGHT]": the weight is whatever follows the last ':' when it is a number. */
    record AdapterArg(Path dir, double weight) {
        static AdapterArg parse(String s) {
            int i = s.lastIndexOf(':');
            if (i > 0) {
                String w = s.substring(i + 1);
                try {
                    double weight = Double.parseDouble(w);
                    if (!Double.isFinite(weight)) {
                        throw new LaemException("--adapter " + s + ": weight must be a finite number");
                    }
                    return new AdapterArg(Path.of(s.substring(0, i)), weight);
                } catch (NumberFormatException e) {
                    // not a weight: the colon belongs to the path
                }
            }
            return new AdapterArg(Path.of(s), 1.0);
        }
    }

    /**
     * The base model in a live merge showing the adapters (each at its weight) or the recipe; the
     * caller closes it. Run inside {@code live.use(...)}.
     */
    LiveMerge open() {
        if (recipe != null && !adapters.isEmpty()) {
            throw new LaemException("give --adapter or --recipe, not both (a recipe lists its adapters)");
        }
        Recipe shown = recipe != null ? RecipeYaml.read(recipe) : adaptersRecipe();
        LiveMerge m = LiveMerge.open(base, Devices.resolve(device));
        try (LiveMerge.Use u = m.use("laem")) {
            if (shown != null) {
                m.show(shown, ProgressListener.NONE, CancellationToken.NONE);
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The --adapter folders as a recipe of the adapters as they are, each at its weight (null: none). */
    private Recipe adaptersRecipe() {
        if (adapters.isEmpty()) {
            return null;
        }
        List<Recipe.AdapterRef> refs = new ArrayList<>();
        Map<String, Schedule> weights = new LinkedHashMap<>();
        for (String spec : adapters) {
            AdapterArg a = AdapterArg.parse(spec);
            String name = a.dir().toAbsolutePath().normalize().getFileName().toString();
            for (int i = 2; weights.containsKey(name); i++) {
                name = a.dir().toAbsolutePath().normalize().getFileName() + "#" + i;
            }
            refs.add(new Recipe.AdapterRef(name, a.dir()));
            weights.put(name, Schedule.constant(a.weight()));
        }
        return Recipe.of(base, refs).withWeights(weights);
    }
}
