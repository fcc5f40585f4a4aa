package io.laem.engine.compare;

import io.laem.engine.LaemException;
import io.laem.engine.eval.EncodedExample;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.Scorer;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.route.RoutedModel;
import java.util.List;
import java.util.Locale;

/**
 * Fills a comparison grid through the live merge: column by column (each column's weights are set
 * once), each cell the greedy completion {@code laem generate} gives for the row's prompt with those
 * weights, streamed to a listener. The reference check is the evaluator's exact-match rule
 * ({@link EncodedExample#matches}); a row with a reference generates at least its length plus the end
 * of sequence, so that a match can be seen whatever the token limit. Cancelling stops within the cell
 * being generated. What the live merge showed before is shown again at the end, however it ends.
 */
public final class GridRunner {
    /** Receives a grid's progress on the runner's thread. */
    public interface Listener {
        /** A cell's generation starts. */
        default void started(int row, int column) {}

        /** A piece of a cell's text became final (possibly empty: one call per generated token). */
        default void token(int row, int column, String text) {}

        /** A cell is complete. */
        void cell(Cell cell);
    }

    /** The MoA column's router over the experts, loaded or trained when the grid has a MoA column. */
    @FunctionalInterface
    public interface MoaSource {
        RoutedModel routed(LiveMerge.Use use, ProgressListener progress, CancellationToken cancel);
    }

    /** No router: a grid with a MoA column is refused. */
    public static final MoaSource NO_MOA = (u, p, c) -> {
        throw new LaemException("the MoA column needs a router (laem route train; --router DIR)");
    };

    private GridRunner() {}

    /**
     * Fills every cell of {@code spec}; returns the filled grid, or throws {@link CancelledException}
     * (after the listener saw the cells completed so far) when cancelled.
     */
    public static GridResult run(LiveMerge.Use use, GridSpec spec, MoaSource moa, Listener listener, ProgressListener progress,
            CancellationToken cancel) {
        LiveMerge live = use.live();
        GridResult result = new GridResult(spec);
        Generator generator = new Generator(use.decoder(), use.tokenizer());
        LiveMerge.Shown before = live.shown();
        int done = 0;
        try {
            for (int c = 0; c < spec.columns().size(); c++) {
                GridSpec.Column col = spec.columns().get(c);
                cancel.check();
                progress.progress(done, spec.cells(), "column " + col.label());
                Routed routed = show(use, col.merge(), spec, moa, progress, cancel);
                for (int r = 0; r < spec.rows().size(); r++) {
                    cancel.check();
                    String note = "";
                    if (routed != null) {
                        RoutedModel.Routing route = routed.routes().get(r);
                        routed.model().activate(route.label());
                        note = String.format(Locale.ROOT, "routed to %s (p %.2f)", route.label(), route.probability());
                    }
                    Cell cell = cell(use, generator, spec, r, c, note, listener, cancel);
                    result.put(cell);
                    listener.cell(cell);
                    done++;
                    progress.progress(done, spec.cells(), col.label() + ", " + spec.rows().get(r).label());
                }
            }
        } finally {
            live.restore(before);
        }
        return result;
    }

    /** The MoA column's router and where it sends each row. */
    private record Routed(RoutedModel model, List<RoutedModel.Routing> routes) {}

    /** Shows a column's merge; for MoA, routes every row (null for the other merges). */
    private static Routed show(LiveMerge.Use use, ColumnMerge merge, GridSpec spec, MoaSource moa,
            ProgressListener progress, CancellationToken cancel) {
        LiveMerge live = use.live();
        switch (merge) {
            case ColumnMerge.Base b -> live.showBase();
            case ColumnMerge.OfRecipe o -> live.show(o.recipe(), progress, cancel);
            case ColumnMerge.Weights w -> {
                live.plan(w.planOf(), progress, cancel);
                live.show(w.planOf(), w.weights());
            }
            case ColumnMerge.Moa m -> {
                RoutedModel routed = moa.routed(use, progress, cancel);
                return new Routed(routed, routed.route(spec.rows().stream().map(GridSpec.Row::prompt).toList(), use, cancel));
            }
        }
        return null;
    }

    private static Cell cell(LiveMerge.Use use, Generator generator, GridSpec spec, int r, int c, String note, Listener listener,
            CancellationToken cancel) {
        GridSpec.Row row = spec.rows().get(r);
        EncodedExample ref = row.hasReference() ? EncodedExample.of(use.tokenizer(), new Scorer.Example(row.prompt(), row.reference())) : null;
        int max = ref == null ? spec.maxTokens() : Math.max(spec.maxTokens(), ref.completion().length);
        listener.started(r, c);
        Generator.Result res = generator.generate(use.tokenizer().prompt(row.prompt()).ids(), Generator.Options.greedy(max),
                (id, text) -> listener.token(r, c, text), cancel::isCancelled);
        if (res.reason() == Generator.StopReason.CANCELLED) {
            throw new CancelledException();
        }
        Cell.Check check = ref == null ? Cell.Check.NONE : ref.matches(res.tokensWithEos()) ? Cell.Check.MATCH : Cell.Check.MISMATCH;
        return new Cell(r, c, res.text(), res.tokens().length, check, note, res.prefillSeconds() + res.decodeSeconds());
    }
}
