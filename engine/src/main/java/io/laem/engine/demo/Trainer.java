package io.laem.engine.demo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import io.laem.engine.eval.TokenBatch;
import io.laem.engine.infer.Decoder;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * A plain training loop with DJL autograd: forward under a {@link GradientCollector}, masked
 * next-token cross-entropy, backward, AdamW on raw arrays (by parameter id), gradients zeroed by
 * hand, learning rate with linear warmup and cosine decay. Intermediates of each step live in an
 * {@link NDScope} and are freed at its end; parameters and optimizer state are created outside it.
 */
public final class Trainer {
    /** Step progress: step (1-based), total steps, the step's loss. */
    @FunctionalInterface
    public interface Progress {
        void step(int step, int steps, float loss);

        default Progress andThen(Progress next) {
            return (step, steps, loss) -> {
                step(step, steps, loss);
                next.step(step, steps, loss);
            };
        }
    }

    /** An extra loss term: {@link #begin} runs before a batch's forward, its result after it, in the step's scope. */
    @FunctionalInterface
    public interface Penalty {
        java.util.function.Supplier<NDArray> begin(TokenBatch batch, NDManager manager);
    }

    public record Settings(int steps, float learningRate, float weightDecay, int warmup, float clipGrad) {}

    private Trainer() {}

    /**
     * Trains {@code parameters} (which must already require gradients) for {@code settings.steps()}
     * steps on {@code batches.apply(step)}, or until {@code stop} says so after a step (1-based).
     * Returns the mean loss of the last tenth of the steps run.
     */
    public static float train(Decoder model, Map<String, NDArray> parameters,
                              IntFunction<TokenBatch> batches, Settings settings, Progress progress,
                              java.util.function.IntPredicate stop) {
        return train(model, parameters, batches, settings, progress, stop, null);
    }

    /** As above, with {@code penalty} (null: none) added to the loss that is minimized; the reported loss is the NLL alone. */
    public static float train(Decoder model, Map<String, NDArray> parameters,
                              IntFunction<TokenBatch> batches, Settings settings, Progress progress,
                              java.util.function.IntPredicate stop, Penalty penalty) {
        ParameterTracker lr = (id, n) -> schedule(settings, n);
        Optimizer opt = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(settings.weightDecay())
                .optClipGrad(settings.clipGrad()).build();
        NDManager manager = model.manager();
        Engine engine = manager.getEngine();
        java.util.ArrayDeque<Float> tail = new java.util.ArrayDeque<>();
        int tailSize = Math.max(1, settings.steps() / 10);
        for (int step = 0; step < settings.steps(); step++) {
            TokenBatch b = batches.apply(step);
            float loss;
            try (NDScope scope = new NDScope()) {
                NDArray tokens = b.inputs(manager);
                NDArray targets = b.targets(manager);
                NDArray mask = b.mask(manager);
                try (GradientCollector gc = engine.newGradientCollector()) {
                    java.util.function.Supplier<NDArray> extra = penalty == null ? null : penalty.begin(b, manager);
                    NDArray l = TokenBatch.meanNll(model.forward(tokens, null), targets, mask);
                    gc.backward(extra == null ? l : l.add(extra.get()));
                    loss = l.getFloat();
                }
            }
            for (Map.Entry<String, NDArray> p : parameters.entrySet()) {
                try (NDArray g = p.getValue().getGradient()) {
                    opt.update(p.getKey(), p.getValue(), g);
                    g.subi(g);
                }
            }
            tail.addLast(loss);
            if (tail.size() > tailSize) {
                tail.removeFirst();
            }
            if (progress != null) {
                progress.step(step + 1, settings.steps(), loss);
            }
            if (stop != null && stop.test(step + 1)) {
                break;
            }
        }
        return (float) tail.stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
    }

    private static float schedule(Settings s, int update) {
        if (update < s.warmup()) {
            return s.learningRate() * (update + 1) / s.warmup();
        }
        double progress = (update - s.warmup()) / (double) Math.max(1, s.steps() - s.warmup());
        return (float) (s.learningRate() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)))));
    }
}
