package io.laem.engine.infer;

import ai.djl.Device;
import io.laem.engine.LaemException;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergePlanner;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.Collection;

/**
 * A base model loaded for inference with its tokenizer, and the ways adapters get into its bank:
 * an adapter folder at one weight on every layer, or a merge recipe (its de-redundant task modules
 * and shared module as entries, the recipe's per-layer weights as coefficients).
 */
public final class InferenceModel implements AutoCloseable {
    private final Path baseDir;
    private final Decoder decoder;
    private final HfTokenizer tokenizer;

    private InferenceModel(Path baseDir, Decoder decoder, HfTokenizer tokenizer) {
        this.baseDir = baseDir;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
    }

    public static InferenceModel open(Path baseDir, Device device) {
        try (HfModel hf = HfModel.open(baseDir)) {
            HfTokenizer tok = HfTokenizer.load(hf);
            try {
                return new InferenceModel(baseDir, Decoder.load(hf, device, Devices.dataTypeFor(device)), tok);
            } catch (RuntimeException e) {
                tok.close();
                throw e;
            }
        }
    }

    public Path baseDir() {
        return baseDir;
    }

    public Decoder decoder() {
        return decoder;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return decoder.config();
    }

    /** Loads an adapter (checked against the base) into the bank at {@code weight} on every module; returns its entry name. */
    public String addAdapter(Path dir, double weight) {
        LoraAdapter a = LoraAdapter.load(dir);
        a.validateAgainst(config(), baseDir);
        String name = uniqueName(a.name());
        decoder.bank().add(name, a.modules().values());
        decoder.bank().setAll(name, weight);
        return name;
    }

    /**
     * Plans a merge recipe (redundancy removal, shared module) and loads the result unmerged: one
     * entry per task plus {@link Recipe#SHARED}, coefficients from the recipe's schedules.
     */
    public void applyRecipe(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        MergePlan plan = TorchThreads.keep(() -> MergePlanner.plan(recipe, progress, cancel));
        if (plan.numLayers() != config().numLayers()) {
            throw new LaemException("recipe base model " + recipe.baseModel() + " has " + plan.numLayers() + " layers but "
                    + baseDir + " has " + config().numLayers() + ": recipe for another base?");
        }
        for (String task : plan.taskNames()) {
            addWeighted(recipe, task, uniqueName(task), plan.task(task).values());
        }
        if (!plan.shared().isEmpty()) {
            addWeighted(recipe, Recipe.SHARED, uniqueName(Recipe.SHARED), plan.shared().values());
        }
    }

    private void addWeighted(Recipe recipe, String weightKey, String entry, Collection<LoraModule> modules) {
        decoder.bank().add(entry, modules);
        int layers = config().numLayers();
        for (ModuleKey k : ArchitectureTemplate.allModules(config())) {
            decoder.bank().setCoefficient(entry, k, recipe.weight(weightKey, k.layer(), layers, k.kind()));
        }
    }

    private String uniqueName(String base) {
        String n = base;
        for (int i = 2; decoder.bank().contains(n); i++) {
            n = base + "#" + i;
        }
        return n;
    }

    @Override
    public void close() {
        decoder.close();
        tokenizer.close();
    }
}
