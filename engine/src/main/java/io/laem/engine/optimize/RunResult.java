package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Schedule;
import java.util.Map;

/**
 * A finished run. {@code best} is null only when nothing was evaluated (cancelled before the
 * first evaluation). {@code evaluations} counts candidates, {@code spent} full evaluations' worth of
 * work (fewer when racing dropped candidates early).
 */
public record RunResult(String label, Parameterization parameterization, double[] bestX, MergeWeights bestWeights,
        Evaluation best, int evaluations, double seconds, boolean cancelled, RunHistory history, double spent) {
    public RunResult {
        bestX = bestX == null ? null : bestX.clone();
    }

    @Override
    public double[] bestX() {
        return bestX == null ? null : bestX.clone();
    }

    /** Full evaluations' worth of work per second. */
    public double evaluationsPerSecond() {
        return seconds > 0 ? spent / seconds : 0;
    }

    /** Candidates scored (fully or in part) per second. */
    public double candidatesPerSecond() {
        return seconds > 0 ? evaluations / seconds : 0;
    }

    /** The best weights as recipe schedules ({@link Parameterization#schedules}). */
    public Map<String, Schedule> bestSchedules() {
        return parameterization.schedules(bestX);
    }
}
