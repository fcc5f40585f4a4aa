package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;

/** The merged adapter as a PEFT adapter folder (+ merge-report.json); exact merges stream from the inputs. */
public final class PeftAdapterFormat implements ExportFormat {
    public static final String NAME = "peft";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "PEFT adapter folder (adapter_config.json, adapter_model.safetensors)";
    }

    @Override
    public MergeSummary export(Recipe recipe, OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        return RecipeMerge.run(recipe, out, null, progress, cancel);
    }

    @Override
    public void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel) {
        MergeWriter.writeAdapter(out, merged, recipe, recipe.output().dtype(), method);
    }
}
