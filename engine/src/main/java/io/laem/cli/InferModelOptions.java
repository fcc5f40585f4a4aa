package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.infer.Devices;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    InferenceModel open() {
        List<AdapterArg> parsed = adapters.stream().map(AdapterArg::parse).toList();
        InferenceModel m = InferenceModel.open(base, Devices.resolve(device));
        try {
            for (AdapterArg a : parsed) {
                m.addAdapter(a.dir(), a.weight());
            }
            if (recipe != null) {
                m.applyRecipe(RecipeYaml.read(recipe), ProgressListener.NONE, CancellationToken.NONE);
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
