package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of the tokens seen so far, per layer, with their attention mask ([B, S], null when
 * no token is padding). Each layer's keys and values live in a buffer [B, kvHeads, capacity, D] that
 * new positions are written into in place; it grows geometrically, so a step copies only its own
 * keys and values, not everything held. Survives the caller's {@link NDScope}s; close it when the
 * sequence is done. For inference: the in-place writes are not meant to be differentiated through.
 */
public final class KvCache implements AutoCloseable {
    /** Positions a buffer first holds at least (a prompt plus some generated tokens without regrowing). */
    private static final long MIN_CAPACITY = 64;

    private final long minCapacity;

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray mask;
    private int length;

    KvCache(NDManager manager, int layers) {
        this(manager, layers, MIN_CAPACITY);
    }

    KvCache(NDManager manager, int layers, long minCapacity) {
        this.manager = manager;
        this.minCapacity = minCapacity;
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** Tokens held. */
    public int length() {
        return length;
    }

    NDArray mask() {
        return mask;
    }

    /**
     * Writes one layer's new keys and values [B, kvHeads, T, D] after the {@link #length()} positions
     * held and returns views of all of them, [B, kvHeads, length + T, D] (keys, then values). The
     * length itself moves on in {@link #advance}, once every layer has appended.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int total = length + (int) k.getShape().get(2);
        keys[layer] = fit(keys[layer], k, total);
        values[layer] = fit(values[layer], v, total);
        if (total != indexedTotal || length != indexedLength) {
            // parsed once per step, not per layer
            into = new NDIndex(":, :, {}:{}", length, total);
            held = new NDIndex(":, :, :{}", total);
            indexedTotal = total;
            indexedLength = length;
        }
        keys[layer].set(into, k);
        values[layer].set(into, v);
        return new NDArray[] {keys[layer].get(held), values[layer].get(held)};
    }

    private int indexedLength = -1;
    private int indexedTotal = -1;
    private NDIndex into;
    private NDIndex held;

    /** {@code buffer}, or a larger one holding its positions when it cannot take {@code total}. */
    private NDArray fit(NDArray buffer, NDArray like, int total) {
        long capacity = buffer == null ? 0 : buffer.getShape().get(2);
        if (total <= capacity) {
            return buffer;
        }
        Shape s = like.getShape();
        long grown = Math.max(total, Math.max(2 * capacity, minCapacity));
        NDArray b = manager.zeros(new Shape(s.get(0), s.get(1), grown, s.get(3)), like.getDataType());
        NDScope.unregister(b);
        if (buffer != null) {
            NDIndex held = new NDIndex(":, :, :{}", length);
            b.set(held, buffer.get(held));
            buffer.close();
        }
        return b;
    }

    /** Per layer, keys and values [B, kvHeads, capacity, D] in Java arrays, for the CPU kernels' forward (null until used). */
    private float[][] hostKeys;
    private float[][] hostValues;
    private int[] hostCapacity;

    /**
     * The CPU forward's counterpart of {@link #append}: writes one layer's new keys and values [B, kvHeads, T, D]
     * after the {@link #length()} positions held, growing the layer's arrays geometrically; returns the capacity,
     * the stride of positions in {@link #hostKeys}/{@link #hostValues}.
     */
    int appendHost(int layer, float[] k, float[] v, int batch, int kvHeads, int tokens, int d) {
        if (hostKeys == null) {
            hostKeys = new float[keys.length][];
            hostValues = new float[keys.length][];
            hostCapacity = new int[keys.length];
        }
        int total = length + tokens;
        int capacity = hostCapacity[layer];
        if (total > capacity) {
            // the first fill (a prompt) gets room for as many generated tokens as minCapacity, so decoding does not regrow
            // (and copy, and leave the old arrays as garbage) at its first step
            int grown = (int) (capacity == 0 ? Math.max(minCapacity, total + Math.min(total, minCapacity))
                    : Math.max(total, 2L * capacity));
            hostKeys[layer] = regrow(hostKeys[layer], batch * kvHeads, capacity, grown, d);
            hostValues[layer] = regrow(hostValues[layer], batch * kvHeads, capacity, grown, d);
            hostCapacity[layer] = capacity = grown;
        }
        for (int s = 0; s < batch * kvHeads; s++) {
            System.arraycopy(k, s * tokens * d, hostKeys[layer], (s * capacity + length) * d, tokens * d);
            System.arraycopy(v, s * tokens * d, hostValues[layer], (s * capacity + length) * d, tokens * d);
        }
        return capacity;
    }

    private float[] regrow(float[] old, int sequences, int capacity, int grown, int d) {
        float[] b = new float[Math.multiplyExact(sequences, grown * d)];
        for (int s = 0; old != null && s < sequences; s++) {
            System.arraycopy(old, s * capacity * d, b, s * grown * d, length * d);
        }
        return b;
    }

    float[] hostKeys(int layer) {
        return hostKeys[layer];
    }

    float[] hostValues(int layer) {
        return hostValues[layer];
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
        hostKeys = null;
        hostValues = null;
        hostCapacity = null;
        length = 0;
    }
}
