package io.laem.engine.optimize;

import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKind;
import java.util.List;

/**
 * The size rule of {@code laem optimize}: which defaults fit a model. The demo kit's defaults (docs/optimizer.md) spend
 * a few hundred evaluations of the whole validation set and tune six TIES-family baselines; on a model of real size
 * one such evaluation is minutes on a small CPU, and an element-wise (TIES, DARE) plan puts dense factors of every
 * module into the bank. A model whose linear modules hold more than {@link #LARGE_PARAMETERS} weights is LARGE and
 * gets {@link #LARGE} for every setting not given explicitly (measured on the Qwen3-0.6B-shaped benchmark,
 * docs/optimizer.md).
 */
public final class ModelScale {
    /** Weights in the linear modules of all layers above which a model is large (the demo kit: 0.8 M; Qwen3-0.6B: 440 M). */
    public static final long LARGE_PARAMETERS = 50_000_000L;

    /** The defaults the rule changes. */
    public record Defaults(SearchMethod method, int budget, int minibatch, double learningRate, Parameterization.Spec param,
                           List<Double> taskArithmeticScales, int baselineExamples) {}

    /**
     * Large models: Adam on minibatches of the validation set (the gradient through a float32 PyTorch copy, the forward
     * of every full evaluation in the mapped CPU kernels), baselines tuned on a subsample, no TIES-family baselines, all
     * cores.
     */
    public static final Defaults LARGE = new Defaults(SearchMethod.GRADIENT, 12, 4, 0.1,
            Parameterization.Spec.of(Parameterization.Kind.PER_LAYER_KIND), List.of(0.5, 1.0), 8);

    /** {@code laem analyze --contribution --first-order} on a large model: examples per task unless given. */
    public static final int FIRST_ORDER_EXAMPLES = 16;

    private ModelScale() {}

    /** Weights in the linear modules of every layer (what one token's forward multiplies, the LM head aside). */
    public static long linearParameters(ModelConfig config) {
        long perLayer = 0;
        for (ModuleKind k : config.modules()) {
            perLayer += (long) k.outFeatures(config) * k.inFeatures(config);
        }
        return perLayer * config.numLayers();
    }

    /** {@code requested} when SMALL or LARGE, else by the model's size. */
    public static OptimizeSettings.Scale of(OptimizeSettings.Scale requested, ModelConfig config) {
        if (requested != OptimizeSettings.Scale.AUTO) {
            return requested;
        }
        return linearParameters(config) > LARGE_PARAMETERS ? OptimizeSettings.Scale.LARGE : OptimizeSettings.Scale.SMALL;
    }
}
