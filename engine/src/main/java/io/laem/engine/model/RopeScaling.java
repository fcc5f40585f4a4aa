package io.laem.engine.model;

/**
 * RoPE frequency scaling: {@code llama3} (HF transformers' {@code _compute_llama3_parameters}) or
 * {@code linear} (every frequency divided by {@code factor}); other types are refused at config load.
 * The low/high frequency factors and original context are llama3's only.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {}
