package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Scores candidates on the live LoRA bank: shows the candidate's weights on the plan's bank entries
 * (coefficients only: no re-merge, no reload), then computes every task's loss with whatever the
 * bank now holds. Not thread-safe (one forward at a time), like the bank.
 */
public final class BankTaskScorer implements TaskScorer {
    /** A task's loss (e.g. mean validation NLL per completion token) under the bank's current coefficients. */
    @FunctionalInterface
    public interface TaskLoss {
        double loss(CancellationToken cancel);
    }

    private final Consumer<MergeWeights> show;
    private final Map<String, TaskLoss> tasks;

    /**
     * @param show puts a candidate's weights into the bank (the live merge's {@code show})
     * @param tasks each task's loss, in report order
     */
    public BankTaskScorer(Consumer<MergeWeights> show, Map<String, TaskLoss> tasks) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("no tasks to score");
        }
        this.show = show;
        this.tasks = new LinkedHashMap<>(tasks);
    }

    @Override
    public Map<String, Double> score(MergeWeights weights, CancellationToken cancel) {
        show.accept(weights);
        Map<String, Double> out = new LinkedHashMap<>();
        for (var t : tasks.entrySet()) {
            cancel.check();
            out.put(t.getKey(), t.getValue().loss(cancel));
        }
        return out;
    }
}
