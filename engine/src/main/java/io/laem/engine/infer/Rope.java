package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Embedding;
import ai.djl.ndarray.types.SparseFormat;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.RopeScaling;

/**
 * Rotary position embedding as HF transformers applies it ("rotate half": the two halves of the head
 * dimension form the pairs), with {@code rope_theta} and Llama-3 or linear frequency scaling. Cos/sin
 * tables [positions, headDim] are built on the host in double precision and grow on demand. A model
 * whose sliding layers have their own base (Gemma 3) has one Rope per base.
 */
public final class Rope implements AutoCloseable {
    private final NDManager manager;
    private final double[] invFreq;
    private final int headDim;
    private NDArray cos;
    private NDArray sin;
    private int length;
    private final NDArray rotation;
    private float[] hostCos;
    private float[] hostSin;

    /** The RoPE of layer {@code layer} of a model (its base and scaling). */
    public Rope(ModelConfig config, int layer, NDManager manager) {
        this.manager = manager;
        this.headDim = config.headDim();
        this.invFreq = inverseFrequencies(config.headDim(), config.ropeTheta(layer), config.ropeScaling(layer));
        this.rotation = manager.create(rotateHalfMatrix(headDim), new Shape(headDim, headDim));
        ai.djl.ndarray.NDScope.unregister(rotation);
    }

    /** {@code 1 / theta^(2i/d)}, adjusted by HF's {@code _compute_llama3_parameters} or divided by a linear factor. */
    public static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        if (scaling != null && scaling.type().equals("linear")) {
            for (int i = 0; i < f.length; i++) {
                f[i] /= scaling.factor();
            }
        }
        if (scaling != null && scaling.type().equals("llama3")) {
            double old = scaling.originalMaxPositionEmbeddings();
            double lowWavelen = old / scaling.lowFreqFactor();
            double highWavelen = old / scaling.highFreqFactor();
            for (int i = 0; i < f.length; i++) {
                double wavelen = 2 * Math.PI / f[i];
                double scaled = wavelen > lowWavelen ? f[i] / scaling.factor() : f[i];
                boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                if (medium) {
                    double smooth = (old / wavelen - scaling.lowFreqFactor()) / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                    scaled = (1 - smooth) * scaled / scaling.factor() + smooth * scaled;
                }
                f[i] = scaled;
            }
        }
        return f;
    }

    private void ensure(int positions) {
        if (positions <= length) {
            return;
        }
        int n = Math.max(positions, Math.max(64, length * 2));
        float[] c = new float[n * headDim];
        float[] s = new float[n * headDim];
        int half = headDim / 2;
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                // HF computes the angle in float32: inv_freq(float32) * position
                float angle = (float) invFreq[i] * (float) p;
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                c[p * headDim + i] = cv;
                c[p * headDim + i + half] = cv;
                s[p * headDim + i] = sv;
                s[p * headDim + i + half] = sv;
            }
        }
        if (cos != null) {
            cos.close();
            sin.close();
        }
        hostCos = c;
        hostSin = s;
        cos = manager.create(c, new Shape(n, headDim));
        sin = manager.create(s, new Shape(n, headDim));
        ai.djl.ndarray.NDScope.unregister(cos, sin);
        length = n;
    }

    /** cos and sin [B, 1, T, D] at the positions of one forward and the rotate_half matrix, shared by every layer's q and k. */
    record Tables(NDArray cos, NDArray sin, NDArray rotation) {}

    /** The tables at positions [B, T] (int64), in {@code dataType}. */
    Tables at(NDArray positions, int maxPosition, DataType dataType) {
        ensure(maxPosition + 1);
        NDArray c = Embedding.embedding(positions, cos, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        NDArray s = Embedding.embedding(positions, sin, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        NDArray r = rotation;
        if (dataType != DataType.FLOAT32) {
            c = c.toType(dataType, false);
            s = s.toType(dataType, false);
            r = r.toType(dataType, false);
        }
        return new Tables(c, s, r);
    }

    /** cos and sin [positions, D] as Java arrays covering positions up to {@code maxPosition}, for the CPU forward. */
    float[][] hostTables(int maxPosition) {
        ensure(maxPosition + 1);
        return new float[][] {hostCos, hostSin};
    }

    /** Applies the rotation to {@code x} [B, heads, T, D]: {@code x cos + rotate_half(x) sin}. */
    static NDArray apply(NDArray x, Tables t) {
        // rotate_half as one matmul: each output is exactly one input (times -1 or 1) plus zeros
        return x.mul(t.cos()).add(x.matMul(t.rotation()).mul(t.sin()));
    }

    /** R [D, D] with {@code x R = rotate_half(x) = cat(-x[half:], x[:half])}. */
    private static float[] rotateHalfMatrix(int d) {
        int half = d / 2;
        float[] r = new float[d * d];
        for (int j = 0; j < half; j++) {
            r[(j + half) * d + j] = -1;
            r[j * d + j + half] = 1;
        }
        return r;
    }

    @Override
    public void close() {
        rotation.close();
        if (cos != null) {
            cos.close();
            sin.close();
        }
    }
}
