package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Schedule;
import java.util.Map;

/**
 * A finished run. {@code best} is null only when nothing was evaluated (cancelled before the
 * first evaluation).
 */
public record RunResult(String label, Parameterization parameterization, double[] bestX, MergeWeights bestWeights,
        Evaluation best, int evaluations, double seconds, boolean cancelled, RunHistory history) {
    public RunResult {
        bestX = bestX == null ? null : bestX.clone();
    }

    @Override
    public double[] bestX() {
        return bestX == null ? null : bestX.clone();
    }

    public double evaluationsPerSecond() {
        return seconds > 0 ? evaluations / seconds : 0;
    }

    /** The best weights as recipe schedules ({@link Parameterization#schedules}). */
    public Map<String, Schedule> bestSchedules() {
        return parameterization.schedules(bestX);
    }
}
