package io.laem.engine.model;

/**
 * Llama-3 style rope scaling ({@code rope_type: llama3}); other types are refused at config load.
 * HF transformers' {@code _compute_llama3_parameters} defines the frequency adjustment.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {}
