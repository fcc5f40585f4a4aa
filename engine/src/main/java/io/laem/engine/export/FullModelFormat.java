package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;

/** Base + merged delta as a Hugging Face model folder (safetensors, sharded like the base). */
public final class FullModelFormat implements ExportFormat {
    public static final String NAME = "full";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "merged full model, Hugging Face folder (safetensors)";
    }

    @Override
    public void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel) {
        MergeWriter.writeFullModel(recipe.baseModel(), merged, out, progress, cancel);
    }
}
