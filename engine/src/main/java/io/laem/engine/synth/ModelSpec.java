package io.laem.engine.synth;

import io.laem.engine.io.DType;

/** Shape of a synthetic decoder model. */
public record ModelSpec(String modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                        int numKvHeads, int headDim, int vocabSize, boolean tieWordEmbeddings, DType dtype,
                        double ropeTheta) {
    /** A tiny model for tests: 2 layers, hidden 32, GQA 4/2 heads; embeddings tied where the family ships them tied (qwen2, gemma). */
    public static ModelSpec tiny(String modelType) {
        return new ModelSpec(modelType, 32, 64, 2, 4, 2, 8, 96, modelType.equals("qwen2") || modelType.startsWith("gemma"), DType.F32,
                10000.0);
    }

    /** The module shapes of Qwen2-0.5B (for benchmarks). */
    public static ModelSpec qwen2HalfB() {
        return new ModelSpec("qwen2", 896, 4864, 24, 14, 2, 64, 151936, true, DType.F32, 1000000.0);
    }

    public ModelSpec withLayers(int layers) {
        return new ModelSpec(modelType, hiddenSize, intermediateSize, layers, numHeads, numKvHeads, headDim, vocabSize,
                tieWordEmbeddings, dtype, ropeTheta);
    }

    public ModelSpec withVocab(int vocab) {
        return new ModelSpec(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocab,
                tieWordEmbeddings, dtype, ropeTheta);
    }

    public ModelSpec withDtype(DType d) {
        return new ModelSpec(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocabSize,
                tieWordEmbeddings, d, ropeTheta);
    }
}
