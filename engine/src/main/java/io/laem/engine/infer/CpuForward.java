package io.laem.engine.infer;

import io.laem.engine.LaemException;
import io.laem.engine.infer.cpu.CpuMatmul;
import io.laem.engine.infer.cpu.WeightView;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.WeightStore;
import java.nio.file.Path;
import java.util.Set;

/**
 * The decoder's forward on the CPU over memory-mapped weights in their stored dtype (F32, BF16, F16): the
 * residual stream, norms, RoPE, attention, SwiGLU and every projection in Java arrays and {@link CpuMatmul},
 * for any number of rows; the {@link LoraBank}'s active entries unmerged on top. Nothing of the weights is
 * copied or widened as a whole: each module is a {@link WeightView} of its own bytes in the file (q/k/v and
 * gate/up are projected per module into their slice of one output row, so no fused copy exists).
 * Only the norm weights and biases (vectors) are read into arrays. Same results as {@link Decoder}'s PyTorch
 * path to float rounding (DecodePathTest, DecoderGoldenTest).
 */
final class CpuForward implements AutoCloseable {
    /** The architectures this forward implements (HF's Llama family as {@link Decoder} documents). */
    private static final Set<String> FAMILIES = Set.of("llama", "mistral", "qwen2", "qwen3");

    /** Modules fed the same input, projected into one output row [sum of outs]. */
    private record Projection(ModuleKind[] kinds, WeightView[] views, float[][] biases, int width) {}

    private record Layer(float[] inputNorm, float[] postNorm, float[] qNorm, float[] kNorm, Projection attnIn, Projection o,
                         Projection mlpIn, Projection down, ModuleKey[] keys) {}

    private final ModelConfig config;
    private final WeightStore store;
    private final WeightView embed;
    private final WeightView lmHead;
    private final float[] finalNorm;
    private final Layer[] layers;

    private CpuForward(ModelConfig config, WeightStore store) {
        this.config = config;
        this.store = store;
        ArchitectureTemplate t = config.template();
        this.embed = view(t.embedTokens());
        this.lmHead = config.tieWordEmbeddings() ? embed : view(t.lmHead());
        this.finalNorm = vector(t.finalNorm());
        this.layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            ModuleKey[] keys = new ModuleKey[ModuleKind.values().length];
            for (ModuleKind k : ModuleKind.values()) {
                keys[k.ordinal()] = new ModuleKey(l, k);
            }
            layers[l] = new Layer(vector(t.inputNorm(l)), vector(t.postAttentionNorm(l)), t.hasQkNorm() ? vector(t.qNorm(l)) : null,
                    t.hasQkNorm() ? vector(t.kNorm(l)) : null,
                    projection(l, ModuleKind.Q_PROJ, ModuleKind.K_PROJ, ModuleKind.V_PROJ), projection(l, ModuleKind.O_PROJ),
                    projection(l, ModuleKind.GATE_PROJ, ModuleKind.UP_PROJ), projection(l, ModuleKind.DOWN_PROJ), keys);
        }
    }

    /** Whether this forward implements the model's architecture (else the decoder keeps PyTorch's path). */
    static boolean supports(ModelConfig config) {
        return FAMILIES.contains(config.template().family());
    }

    /** Maps the model folder's weights (its own mapping, closed with this forward); reads only the norm weights and biases. */
    static CpuForward map(ModelConfig config, Path modelDir) {
        WeightStore store = WeightStore.open(modelDir);
        try {
            return new CpuForward(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private WeightView view(String name) {
        TensorInfo info = store.info(name);
        long[] s = info.shape();
        if (s.length != 2 || !info.dtype().isFloat() || info.dtype() == io.laem.engine.io.DType.F64) {
            throw new LaemException("decoder weights: tensor '" + name + "' is " + info.dtype() + " " + info.shapeString()
                    + ", the CPU kernels read 2-D F32, BF16 or F16 tensors");
        }
        return new WeightView(store.bytes(name), info.dtype(), Math.toIntExact(s[0]), Math.toIntExact(s[1]));
    }

    private float[] vector(String name) {
        TensorInfo info = store.info(name);
        return new WeightView(store.bytes(name), info.dtype(), 1, Math.toIntExact(info.elementCount())).toFloats();
    }

    private Projection projection(int layer, ModuleKind... kinds) {
        ArchitectureTemplate t = config.template();
        WeightView[] views = new WeightView[kinds.length];
        float[][] biases = new float[kinds.length][];
        int width = 0;
        for (int i = 0; i < kinds.length; i++) {
            ModuleKey key = new ModuleKey(layer, kinds[i]);
            views[i] = view(t.weight(key));
            biases[i] = config.hasBias(kinds[i]) ? vector(t.bias(key)) : null;
            width += views[i].rows();
        }
        return new Projection(kinds, views, biases, width);
    }

    /** Bytes of the weights as stored (tied embeddings counted once). */
    long weightBytes() {
        return store.names().stream().mapToLong(n -> store.info(n).byteLength()).sum();
    }

    /**
     * Final-norm hidden states [batch * tokens, hidden] of {@code ids} [batch, tokens] at {@code positions}, given
     * the {@code past} positions the cache holds (null: none) and {@code keyMask} [batch, past + tokens] (null: no
     * padding). Appends this step's keys and values to the cache; the caller advances its length.
     */
    float[] hidden(long[] ids, int batch, int tokens, int past, float[] keyMask, int[] positions, KvCache cache, LoraBank bank, Rope rope,
                   int threads) {
        int width = config.hiddenSize();
        int rows = batch * tokens;
        float[] x = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            if (ids[r] < 0 || ids[r] >= embed.rows()) {
                throw new LaemException("token id " + ids[r] + " is outside the model's vocabulary of " + embed.rows());
            }
            embed.widenRow((int) ids[r], x, r * width);
        }
        int maxPosition = 0;
        for (int p : positions) {
            maxPosition = Math.max(maxPosition, p);
        }
        float[][] tables = rope.hostTables(maxPosition);
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            float[] qkv = project(layer, layer.attnIn(), bank, rmsNorm(x, rows, layer.inputNorm()), rows, threads);
            float[][] heads = headsOf(qkv, layer, tables, positions, batch, tokens);
            float[] attended = attend(l, heads, cache, keyMask, batch, tokens, past, threads);
            add(x, project(layer, layer.o(), bank, attended, rows, threads));
            float[] gateUp = project(layer, layer.mlpIn(), bank, rmsNorm(x, rows, layer.postNorm()), rows, threads);
            add(x, project(layer, layer.down(), bank, CpuMatmul.siluGate(gateUp, rows), rows, threads));
        }
        return rmsNorm(x, rows, finalNorm);
    }

    /** The LM head over final hidden rows [rows, hidden]: logits [rows, vocab]. */
    float[] logits(float[] hidden, int rows, int threads) {
        return CpuMatmul.multiply(lmHead, hidden, rows, threads);
    }

    /** {@code x W^T (+ b)} of each module into its columns, plus each module's active LoRA entries, {@code (coef * x A^T) B^T}. */
    private float[] project(Layer layer, Projection p, LoraBank bank, float[] xs, int rows, int threads) {
        int in = xs.length / rows;
        int out = p.width();
        float[] y = new float[rows * out];
        int offset = 0;
        for (int i = 0; i < p.kinds().length; i++) {
            WeightView w = p.views()[i];
            int moduleOut = w.rows();
            CpuMatmul.multiplyInto(w, xs, rows, y, out, offset, false, threads);
            float[] b = p.biases()[i];
            if (b != null) {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < moduleOut; j++) {
                        y[r * out + offset + j] += b[j];
                    }
                }
            }
            LoraBank.Packed lora = bank.packed(layer.keys()[p.kinds()[i].ordinal()]);
            if (lora != null) {
                if (lora.aBytes() == null) {
                    throw new IllegalStateException("LoRA entries with trainable factors need a decoder over arrays (Decoder.fromArrays)");
                }
                int rank = lora.rank();
                float[] u = CpuMatmul.multiply(WeightView.f32(lora.aBytes(), rank, in), xs, rows, threads);
                float[] c = lora.coefs();
                for (int r = 0; r < rows; r++) {
                    for (int q = 0; q < rank; q++) {
                        u[r * rank + q] *= c[q];
                    }
                }
                CpuMatmul.addProductInto(u, rows, rank, lora.bTransposedBytes(), moduleOut, y, out, offset, threads);
            }
            offset += moduleOut;
        }
        return y;
    }

    /**
     * q [B, heads, T, D], k and v [B, kvHeads, T, D] from fused q/k/v rows [B * T, (heads + 2 kvHeads) D]: q/k
     * RMSNorm per head where the model has it, then rotate-half RoPE on q and k at each row's position.
     */
    private float[][] headsOf(float[] qkv, Layer layer, float[][] tables, int[] positions, int batch, int tokens) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        int width = (heads + 2 * kvHeads) * d;
        int rows = batch * tokens;
        float[] q = new float[rows * heads * d];
        float[] k = new float[rows * kvHeads * d];
        float[] v = new float[rows * kvHeads * d];
        float[] head = new float[d];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                int row = b * tokens + t;
                int angles = positions[row] * d;
                for (int h = 0; h < heads + 2 * kvHeads; h++) {
                    System.arraycopy(qkv, row * width + h * d, head, 0, d);
                    boolean isQ = h < heads;
                    boolean isK = !isQ && h < heads + kvHeads;
                    int index = isQ ? h : isK ? h - heads : h - heads - kvHeads;
                    int count = isQ ? heads : kvHeads;
                    float[] target = isQ ? q : isK ? k : v;
                    int at = ((b * count + index) * tokens + t) * d;
                    if (isQ || isK) {
                        float[] norm = isQ ? layer.qNorm() : layer.kNorm();
                        float[] normed = norm == null ? head : rmsNorm(head, 1, norm);
                        rotateHalf(normed, tables[0], tables[1], angles, target, at);
                    } else {
                        System.arraycopy(head, 0, target, at, d);
                    }
                }
            }
        }
        return new float[][] {q, k, v};
    }

    /** Attention rows [B * T, heads * D] of this step's q/k/v over what the cache holds (extending it) or over themselves. */
    private float[] attend(int l, float[][] qkv, KvCache cache, float[] keyMask, int batch, int tokens, int past, int threads) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        float[] keys = qkv[1];
        float[] values = qkv[2];
        int capacity = tokens;
        if (cache != null) {
            capacity = cache.appendHost(l, keys, values, batch, kvHeads, tokens, d);
            keys = cache.hostKeys(l);
            values = cache.hostValues(l);
        }
        return CpuMatmul.attend(qkv[0], keys, values, capacity, batch, heads, kvHeads, tokens, past, d, (float) (1.0 / Math.sqrt(d)),
                keyMask, threads);
    }

    /** {@code x cos + rotate_half(x) sin} of one head, rotate_half(x) = cat(-x[half:], x[:half]), into {@code out} at {@code at}. */
    private static void rotateHalf(float[] x, float[] cos, float[] sin, int angles, float[] out, int at) {
        int half = x.length / 2;
        for (int i = 0; i < x.length; i++) {
            float rotated = i < half ? -x[i + half] : x[i - half];
            out[at + i] = x[i] * cos[angles + i] + rotated * sin[angles + i];
        }
    }

    /** HF's RMSNorm of each row of x [rows, n] (float32, as the PyTorch path) times the weight. */
    private float[] rmsNorm(float[] x, int rows, float[] weight) {
        int n = weight.length;
        float eps = (float) config.rmsNormEps();
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            float sum = 0;
            for (int i = 0; i < n; i++) {
                sum += x[o + i] * x[o + i];
            }
            float scale = (float) (1 / Math.sqrt(sum / n + eps));
            for (int i = 0; i < n; i++) {
                out[o + i] = x[o + i] * scale * weight[i];
            }
        }
        return out;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
