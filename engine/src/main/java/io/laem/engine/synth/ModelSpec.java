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

    /** The shapes of Qwen3-0.6B (28 layers, hidden 1024, 16/8 heads of 128, q/k norms, tied embeddings; 596 M parameters). */
    public static ModelSpec qwen3SixTenthsB() {
        return new ModelSpec("qwen3", 1024, 3072, 28, 16, 8, 128, 151936, true, DType.BF16, 1000000.0);
    }

    /** The shapes of Llama-3-8B (32 layers, hidden 4096, 32/8 heads of 128, intermediate 14336, vocab 128256, untied). */
    public static ModelSpec llama8B() {
        return new ModelSpec("llama", 4096, 14336, 32, 32, 8, 128, 128256, false, DType.BF16, 500000.0);
    }

    /** A benchmark model by name: qwen3-0.6b, qwen2-0.5b or llama-8b (float32 for qwen2-0.5b, bf16 otherwise, until withDtype). */
    public static ModelSpec named(String name) {
        return switch (name) {
            case "qwen3-0.6b" -> qwen3SixTenthsB();
            case "qwen2-0.5b" -> qwen2HalfB();
            case "llama-8b" -> llama8B();
            default -> throw new IllegalArgumentException("unknown model '" + name + "' (qwen3-0.6b, qwen2-0.5b, llama-8b)");
        };
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
