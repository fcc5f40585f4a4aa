package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the tokens seen so far, per layer ([B, kvHeads, S, D]), with their attention
 * mask ([B, S], null when no token is padding). Survives the caller's {@link NDScope}s; close it
 * when the sequence is done.
 */
public final class KvCache implements AutoCloseable {
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray mask;
    private int length;

    KvCache(int layers) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** Tokens held. */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    NDArray mask() {
        return mask;
    }

    void set(int layer, NDArray k, NDArray v) {
        NDScope.unregister(k, v);
        close(keys[layer]);
        close(values[layer]);
        keys[layer] = k;
        values[layer] = v;
    }

    void advance(int tokens, NDArray newMask) {
        if (newMask != mask) {
            if (newMask != null) {
                NDScope.unregister(newMask);
            }
            close(mask);
            mask = newMask;
        }
        length += tokens;
    }

    private static void close(NDArray a) {
        if (a != null) {
            a.close();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            close(keys[i]);
            close(values[i]);
            keys[i] = null;
            values[i] = null;
        }
        close(mask);
        mask = null;
        length = 0;
    }
}
