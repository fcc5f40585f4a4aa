package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;

/**
 * One way to write a merge where it is used: a PEFT adapter, a full safetensors model, a GGUF LoRA,
 * a GGUF model. Each writes one output folder through {@link OutputTarget} (checked before the work,
 * staged, moved into place whole; never over an input). One class per format, found by name in
 * {@link ExportFormats}.
 */
public interface ExportFormat {
    /** The name on the command line ({@code --format}), with its option when it has one (e.g. {@code gguf-model:q8_0}). */
    String name();

    /** One line for help texts and menus. */
    String summary();

    /** Runs the recipe's merge and writes it to the folder {@code out}. Formats with a streaming path override this. */
    default MergeSummary export(Recipe recipe, OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        out.protecting(recipe.inputs()).check(); // refused before the work, not after it
        MergedAdapter merged = RecipeMerge.merge(recipe, progress, cancel);
        write(merged, recipe, out, null, progress, cancel);
        return merged.summary();
    }

    /**
     * Writes a merge (modules with every weight and scale baked in, scale 1) to the folder {@code out};
     * {@code method} names the baseline method that produced it (null: the recipe's LAEM merge).
     */
    void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel);
}
