package io.laem.engine.demo;

import io.laem.engine.io.DType;
import io.laem.engine.synth.ModelSpec;

/**
 * Everything that determines the demo kit besides the seed: model shape, data sizes, and the two
 * training phases. {@link #standard()} is what the shipped kit was built with. {@code retainBatch}: how many
 * retain examples ({@link Retain}: general corpus and the other tasks' examples) each adapter batch
 * adds to its own-task examples; {@code selectivity}: the weight of the {@link SelectivityPenalty} on them.
 */
public record DemoKitSettings(ModelSpec model, int trainExamples, int validationExamples, int testExamples,
                              Phase base, Phase adapter, int retainBatch, float selectivity, int checkEvery, int rank, double alpha, int threads) {
    /** One training phase: steps, batch size, peak learning rate, warmup steps, weight decay. */
    public record Phase(int steps, int batch, float learningRate, int warmup, float weightDecay) {}

    public static DemoKitSettings standard() {
        return new DemoKitSettings(
                new ModelSpec("llama", 128, 344, 4, 4, 4, 32, DemoData.vocabSize(), false, DType.F32, 10000.0),
                2000, 48, 200,
                new Phase(2000, 32, 3e-3f, 20, 0.01f),
                new Phase(2500, 32, 2e-3f, 20, 0f), 32, 30f, 100,
                8, 16, 1);
    }

    /** A few steps of a tiny model: for tests of the pipeline, not for quality. */
    public static DemoKitSettings smoke() {
        return new DemoKitSettings(
                new ModelSpec("llama", 32, 64, 2, 4, 2, 8, DemoData.vocabSize(), false, DType.F32, 10000.0),
                40, 8, 8,
                new Phase(3, 8, 3e-3f, 1, 0.01f),
                new Phase(3, 8, 5e-3f, 1, 0f), 8, 1f, 2,
                4, 8, 1);
    }

    public DemoKitSettings withAdapterLearningRate(float lr) {
        positiveFinite("--adapter-lr", lr);
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples, base,
                new Phase(adapter.steps(), adapter.batch(), lr, adapter.warmup(), adapter.weightDecay()), retainBatch, selectivity, checkEvery, rank, alpha, threads);
    }

    public DemoKitSettings withBaseLearningRate(float lr) {
        positiveFinite("--base-lr", lr);
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples,
                new Phase(base.steps(), base.batch(), lr, base.warmup(), base.weightDecay()), adapter, retainBatch, selectivity, checkEvery, rank, alpha, threads);
    }

    public DemoKitSettings withThreads(int n) {
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples, base, adapter, retainBatch, selectivity, checkEvery, rank, alpha, n);
    }

    public DemoKitSettings withSteps(int baseSteps, int adapterSteps) {
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples,
                new Phase(baseSteps, base.batch(), base.learningRate(), base.warmup(), base.weightDecay()),
                new Phase(adapterSteps, adapter.batch(), adapter.learningRate(), adapter.warmup(), adapter.weightDecay()),
                retainBatch, selectivity, checkEvery, rank, alpha, threads);
    }

    /** Weight of the {@link SelectivityPenalty} on the retain rows (0: none). */
    public DemoKitSettings withSelectivity(float w) {
        if (!(w >= 0) || !Float.isFinite(w)) {
            throw new io.laem.engine.LaemException("--selectivity must be a finite number >= 0, got " + w);
        }
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples, base, adapter, retainBatch, w, checkEvery, rank, alpha, threads);
    }

    /** Retain examples per adapter batch (0: train on the own task only, as before retain training). */
    public DemoKitSettings withRetainBatch(int n) {
        return new DemoKitSettings(model, trainExamples, validationExamples, testExamples, base, adapter, n, selectivity, checkEvery, rank, alpha, threads);
    }

    private static void positiveFinite(String option, float v) {
        if (!(v > 0) || !Float.isFinite(v)) {
            throw new io.laem.engine.LaemException(option + " must be a finite number above 0, got " + v);
        }
    }
}
