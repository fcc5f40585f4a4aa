package io.laem.engine.merge;

import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;

/** A recipe run end to end: plan, merge with the recipe's weights, write. What {@code laem merge} and the GUI's export call. */
public final class RecipeMerge {
    private RecipeMerge() {}

    /** Plans and merges (nothing written). */
    public static MergedAdapter merge(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        MergePlan plan = MergePlanner.plan(recipe, progress, cancel);
        return PlanMerger.merge(plan, recipe, progress, cancel);
    }

    /**
     * Merges and writes the adapter to {@code out} and, when {@code fullModel} is not null, base + delta
     * there. An exact merge of the adapters as they are (no full model) is streamed from the inputs to
     * the file ({@link StreamingExactMerge}: the same bytes, without holding the factors in memory).
     */
    public static MergeSummary run(Recipe recipe, Path out, Path fullModel, ProgressListener progress, CancellationToken cancel) {
        if (fullModel == null && StreamingExactMerge.applies(recipe)) {
            return StreamingExactMerge.run(recipe, out, progress, cancel);
        }
        MergedAdapter merged = merge(recipe, progress, cancel);
        MergeWriter.writeAdapter(out, merged, recipe, recipe.output().dtype());
        if (fullModel != null) {
            MergeWriter.writeFullModel(recipe.baseModel(), merged, fullModel, progress, cancel);
        }
        return merged.summary();
    }
}
