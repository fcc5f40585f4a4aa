package io.laem.engine.merge;

import io.laem.engine.LaemException;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A recipe's inputs, loaded and checked against the base: the base config, the task adapters, the shared adapter if any. */
public record MergeInputs(Path baseDir, ModelConfig base, List<LoraAdapter> adapters, LoraAdapter sharedAdapter) {
    public static MergeInputs load(Recipe r) {
        ModelConfig base = baseConfig(r);
        List<LoraAdapter> adapters = new ArrayList<>();
        for (Recipe.AdapterRef a : r.adapters()) {
            LoraAdapter ad = LoraAdapter.load(a.path(), a.name());
            ad.validateAgainst(base, r.baseModel());
            adapters.add(ad);
        }
        LoraAdapter shared = null;
        if (r.shared().mode() == Recipe.Shared.Mode.ADAPTER) {
            shared = LoraAdapter.load(r.shared().path(), Recipe.SHARED);
            shared.validateAgainst(base, r.baseModel());
        }
        return new MergeInputs(r.baseModel(), base, adapters, shared);
    }

    /** The base model's config.json (merging an adapter needs no base weights). */
    static ModelConfig baseConfig(Recipe r) {
        Path cfg = r.baseModel().resolve("config.json");
        if (!Files.exists(cfg)) {
            throw new LaemException(r.baseModel() + ": base_model is not a model folder (no config.json)");
        }
        return ModelConfig.read(cfg);
    }
}
