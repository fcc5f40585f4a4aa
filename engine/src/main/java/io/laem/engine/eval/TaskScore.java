package io.laem.engine.eval;

/**
 * One task's result: the fraction of examples whose greedy completion equals the reference exactly,
 * the mean negative log-likelihood per completion token (nats, the end-of-sequence token included),
 * and the number of examples.
 */
public record TaskScore(double exactMatch, double meanNll, int examples) {}
