package io.laem.engine.optimize;

import io.laem.engine.progress.CancellationToken;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Searches a small discrete set of merge plans (e.g. redundancy strategy x density) together with
 * the continuous weights: one run per plan with an equal share of the budget, all sharing one
 * cancel token and one history; the plan whose run found the lowest value wins. The caller's
 * {@code runFor} builds each plan's objective once (plans are applied once and cached there).
 */
public final class PlanSearch {
    /** The runs, in plan order, and the winner. */
    public record Result(List<RunResult> runs, RunResult best, RunHistory history, boolean cancelled) {}

    private PlanSearch() {}

    /**
     * @param labels the plans, by label
     * @param runFor a configured run builder per label (objective, parameterization, seed, listeners, warm start)
     * @param budget evaluations in all, split evenly (each plan gets at least one)
     */
    public static Result run(List<String> labels, Function<String, OptimizationRun.Builder> runFor, int budget,
            CancellationToken cancel) {
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("no plans to search");
        }
        RunHistory history = new RunHistory();
        List<RunResult> runs = new ArrayList<>();
        for (int i = 0; i < labels.size() && !cancel.isCancelled(); i++) {
            int share = Math.max(1, budget / labels.size() + (i < budget % labels.size() ? 1 : 0));
            runs.add(runFor.apply(labels.get(i)).label(labels.get(i)).budget(share).cancellationToken(cancel)
                    .history(history).build().run());
        }
        RunResult best = runs.stream().filter(r -> r.best() != null)
                .min(Comparator.comparingDouble(r -> r.best().value())).orElse(null);
        return new Result(runs, best, history, cancel.isCancelled());
    }
}
