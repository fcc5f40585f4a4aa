package io.laem.engine.merge;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.OutputTransaction;
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

    /** As {@link #run(Recipe, OutputTarget, OutputTarget, ProgressListener, CancellationToken)}, to new folders. */
    public static MergeSummary run(Recipe recipe, Path out, Path fullModel, ProgressListener progress, CancellationToken cancel) {
        return run(recipe, OutputTarget.folder(out), fullModel == null ? null : OutputTarget.folder(fullModel), progress, cancel);
    }

    /**
     * Merges and writes the adapter to {@code out} and, when {@code fullModel} is not null, base + delta
     * there: both or neither, never over one of the recipe's inputs (checked before the merge). An exact
     * merge of the adapters as they are (no full model) is streamed from the inputs to the file
     * ({@link StreamingExactMerge}: the same bytes, without holding the factors in memory).
     */
    public static MergeSummary run(Recipe recipe, OutputTarget out, OutputTarget fullModel, ProgressListener progress,
                                   CancellationToken cancel) {
        out = out.protecting(recipe.inputs());
        fullModel = fullModel == null ? null : fullModel.protecting(recipe.inputs());
        OutputTransaction.check(out, fullModel);
        if (fullModel == null && StreamingExactMerge.applies(recipe)) {
            return StreamingExactMerge.run(recipe, out, progress, cancel);
        }
        MergedAdapter merged = merge(recipe, progress, cancel);
        MergeWriter.writeAll(out, fullModel, merged, recipe, recipe.output().dtype(), null, progress, cancel);
        return merged.summary();
    }
}
