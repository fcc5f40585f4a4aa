package io.laem.engine.infer;

import io.laem.engine.LaemException;
import io.laem.engine.infer.cpu.CpuMatmul;
import io.laem.engine.infer.cpu.ProjectionModule;
import io.laem.engine.infer.cpu.OpTimes;
import io.laem.engine.infer.cpu.OpTimes.Op;
import io.laem.engine.infer.cpu.WeightView;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.io.DType;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ArchitectureTemplate.Norm;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.WeightStore;
import java.nio.file.Path;

/**
 * The decoder's forward on the CPU over memory-mapped weights in their stored dtype (F32, BF16, F16): the
 * residual stream, norms, RoPE, attention, the gated MLP and every projection in Java arrays and
 * {@link CpuMatmul}, for any number of rows; the {@link LoraBank}'s active entries unmerged on top. It reads
 * the same {@link ArchitectureTemplate} and resolved {@link ModelConfig} as {@link Decoder}'s PyTorch path and
 * implements every option they carry: the family's norms (post-attention, pre/post-MLP, q/k per head, times
 * {@code 1 + w} for Gemma), the embedding scale, biases, SiLU or GELU-tanh gates, the attention scale and
 * soft-cap, sliding-window layers with their own RoPE base, separate or fused (Phi-3) projections and the final
 * logit soft-cap. Nothing of the weights is copied or widened as a whole: each module is a {@link WeightView}
 * of its own bytes in the file (separate q/k/v and gate/up are projected per module into their slice of one
 * output row, so no fused copy exists; a tensor fused in the file is one view). Only the norm weights and
 * biases (vectors) are read into arrays. Same results as the PyTorch path to float rounding (DecodePathTest,
 * DecoderGoldenTest).
 */
final class CpuForward implements AutoCloseable {
    /** Modules fed the same input, projected into one output row [sum of outs]. */
    private record Projection(ModuleKind[] kinds, WeightView[] views, float[][] biases, int width) {}

    /**
     * A layer's norm weights as they multiply ({@code 1 + w} for Gemma; null: the family has no such norm), its
     * projections, and whether it attends over a sliding window.
     */
    private record Layer(float[] inputNorm, float[] postAttentionNorm, float[] preMlpNorm, float[] postMlpNorm, float[] qNorm,
                         float[] kNorm, Projection attnIn, Projection o, Projection mlpIn, Projection down, ModuleKey[] keys,
                         boolean sliding) {}

    private final ModelConfig config;
    private final WeightStore store;
    private final WeightView embed;
    private final WeightView lmHead;
    private final float[] finalNorm;
    /** What embedding rows are multiplied by: {@code sqrt(hidden_size)} for Gemma, else 1. */
    private final float embedScale;
    private final Layer[] layers;

    private CpuForward(ModelConfig config, WeightStore store) {
        this.config = config;
        this.store = store;
        ArchitectureTemplate t = config.template();
        this.embed = view(t.embedTokens(), config.vocabSize(), config.hiddenSize());
        this.lmHead = config.tieWordEmbeddings() ? embed : view(t.lmHead(), config.vocabSize(), config.hiddenSize());
        this.finalNorm = norm(t.finalNorm(), config.hiddenSize());
        // HF: torch.tensor(hidden_size ** 0.5) in the compute dtype (float32 here)
        this.embedScale = t.embeddingScaled() ? (float) Math.sqrt(config.hiddenSize()) : 1f;
        this.layers = new Layer[config.numLayers()];
        ModuleKind[] attnIn = t.attentionInputs().toArray(ModuleKind[]::new);
        ModuleKind[] mlpIn = t.mlpInputs().toArray(ModuleKind[]::new);
        for (int l = 0; l < layers.length; l++) {
            ModuleKey[] keys = Decoder.moduleKeys(config, l);
            layers[l] = new Layer(norm(Norm.INPUT, l), norm(Norm.POST_ATTENTION, l), norm(Norm.PRE_MLP, l), norm(Norm.POST_MLP, l),
                    norm(Norm.Q, l), norm(Norm.K, l), projection(l, attnIn), projection(l, ModuleKind.O_PROJ), projection(l, mlpIn),
                    projection(l, ModuleKind.DOWN_PROJ), keys, config.sliding(l));
        }
    }

    /**
     * Whether this forward can read every weight of the store: each one F32, BF16 or F16 (the dtypes the kernels
     * widen in registers). The one rule for the CPU path besides the device: any other float dtype (F64) keeps
     * the decoder on PyTorch, which converts on load.
     */
    static boolean reads(WeightStore weights) {
        return weights.names().stream().map(n -> weights.info(n).dtype()).allMatch(CpuForward::kernelDtype);
    }

    private static boolean kernelDtype(DType d) {
        return d == DType.F32 || d == DType.BF16 || d == DType.F16;
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

    /** The mapped weights this forward reads (closed with it). */
    WeightStore store() {
        return store;
    }

    /** A 2-D weight [rows, cols] as it lies in the file, its shape checked as the PyTorch path checks it. */
    private WeightView view(String name, long rows, long cols) {
        TensorInfo info = store.info(name);
        long[] s = info.shape();
        if (s.length != 2 || s[0] != rows || s[1] != cols) {
            throw new LaemException("decoder weights: tensor '" + name + "' has shape " + info.shapeString() + ", expected [" + rows + ", "
                    + cols + "]");
        }
        return kernelView(name, info, rows, cols);
    }

    private WeightView kernelView(String name, TensorInfo info, long rows, long cols) {
        if (!kernelDtype(info.dtype())) {
            throw new LaemException("decoder weights: tensor '" + name + "' is " + info.dtype() + ", the CPU kernels read F32, BF16 or F16");
        }
        return new WeightView(store.bytes(name), info.dtype(), Math.toIntExact(rows), Math.toIntExact(cols));
    }

    /** A vector (bias, norm weight) of {@code n} elements widened to float32. */
    private float[] vector(String name, long n) {
        TensorInfo info = store.info(name);
        if (info.rank() != 1 || info.shape()[0] != n) {
            throw new LaemException("decoder weights: tensor '" + name + "' has shape " + info.shapeString() + ", expected [" + n + "]");
        }
        return kernelView(name, info, 1, n).toFloats();
    }

    /** A layer's norm weight as it multiplies ({@code 1 + w} for Gemma, in float32 as HF), or null when the family has none. */
    private float[] norm(Norm norm, int layer) {
        String name = config.template().norm(norm, layer);
        return name == null ? null : norm(name, norm.perHead() ? config.headDim() : config.hiddenSize());
    }

    private float[] norm(String name, long n) {
        float[] w = vector(name, n);
        if (config.template().normPlusOne()) {
            for (int i = 0; i < w.length; i++) {
                w[i] += 1;
            }
        }
        return w;
    }

    private Projection projection(int layer, ModuleKind... kinds) {
        ArchitectureTemplate t = config.template();
        WeightView[] views = new WeightView[kinds.length];
        float[][] biases = new float[kinds.length][];
        int width = 0;
        for (int i = 0; i < kinds.length; i++) {
            ModuleKey key = new ModuleKey(layer, kinds[i]);
            views[i] = view(t.weight(key), kinds[i].outFeatures(config), kinds[i].inFeatures(config));
            biases[i] = config.hasBias(kinds[i]) ? vector(t.bias(key), kinds[i].outFeatures(config)) : null;
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
     * padding). Full-attention layers rotate by {@code rope}, sliding ones by {@code localRope} (the same object
     * unless the family has a local base). Appends this step's keys and values to the cache; the caller advances
     * its length.
     */
    float[] hidden(long[] ids, int batch, int tokens, int past, float[] keyMask, int[] positions, KvCache cache, LoraBank bank, Rope rope,
                   Rope localRope, int threads) {
        CpuMatmul.awaitWarmUp();
        long forward = OpTimes.start();
        int width = config.hiddenSize();
        int rows = batch * tokens;
        float[] x = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            if (ids[r] < 0 || ids[r] >= embed.rows()) {
                throw new LaemException("token id " + ids[r] + " is outside the model's vocabulary of " + embed.rows());
            }
            embed.widenRow((int) ids[r], x, r * width);
        }
        if (embedScale != 1f) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= embedScale;
            }
        }
        int maxPosition = 0;
        for (int p : positions) {
            maxPosition = Math.max(maxPosition, p);
        }
        float[][] fullTables = rope.hostTables(maxPosition);
        float[][] slidingTables = localRope == rope ? fullTables : localRope.hostTables(maxPosition);
        Buffers buf = new Buffers(rows);
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            rmsNorm(x, 0, rows, layer.inputNorm(), buf.normed, threads);
            project(layer, layer.attnIn(), bank, buf.normed, rows, buf.qkv, threads, Op.ATTENTION_PROJECTIONS);
            headsOf(buf, layer, layer.sliding() ? slidingTables : fullTables, positions, batch, tokens, threads);
            attend(l, layer, buf, cache, keyMask, batch, tokens, past, threads);
            project(layer, layer.o(), bank, buf.attended, rows, buf.normed, threads, Op.ATTENTION_PROJECTIONS);
            addNormed(x, 0, buf.normed, rows, layer.postAttentionNorm(), threads);
            for (int from = 0; from < rows; from += MLP_ROWS) {
                mlp(layer, bank, x, from, Math.min(rows, from + MLP_ROWS), threads, buf);
            }
        }
        float[] out = new float[rows * width];
        rmsNorm(x, 0, rows, finalNorm, out, threads);
        OpTimes.since(Op.FORWARD, forward);
        return out;
    }

    /**
     * A forward's activations, allocated once per forward and reused by every layer: allocating them per layer
     * made about 70 MB of garbage per layer at 768 rows (scoring), which grew the JVM's heap by gigabytes.
     */
    private final class Buffers {
        final float[] normed;
        final float[] qkv;
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] attended;
        final float[] mlpIn;
        final float[] gateUp;
        final float[] gated;
        final float[] mlpOut;

        Buffers(int rows) {
            int width = config.hiddenSize();
            int d = config.headDim();
            normed = new float[rows * width];
            qkv = new float[rows * java.util.Arrays.stream(layers).mapToInt(l -> l.attnIn().width()).max().orElseThrow()];
            q = new float[rows * config.numHeads() * d];
            k = new float[rows * config.numKvHeads() * d];
            v = new float[rows * config.numKvHeads() * d];
            attended = new float[rows * config.numHeads() * d];
            int block = Math.min(rows, MLP_ROWS);
            mlpIn = new float[block * width];
            int gateUpWidth = java.util.Arrays.stream(layers).mapToInt(l -> l.mlpIn().width()).max().orElseThrow();
            gateUp = new float[block * gateUpWidth];
            gated = new float[block * gateUpWidth / 2];
            mlpOut = new float[block * width];
        }
    }

    /**
     * Rows the MLP takes at a time: its intermediate arrays ([rows, 2 x intermediate]) stay a few MB however many rows
     * a forward has (scoring: thousands), so they neither grow the heap nor leave the caches; each weight panel is
     * still widened once per 128 rows of work.
     */
    private static final int MLP_ROWS = 128;

    /** The MLP block of rows {@code [from, to)} of the residual stream x, added into x in place. */
    private void mlp(Layer layer, LoraBank bank, float[] x, int from, int to, int threads, Buffers buf) {
        int width = config.hiddenSize();
        int n = to - from;
        rmsNorm(x, from * width, n, layer.preMlpNorm(), buf.mlpIn, threads);
        project(layer, layer.mlpIn(), bank, buf.mlpIn, n, buf.gateUp, threads, Op.MLP_PROJECTIONS);
        int intermediate = layer.mlpIn().width() / 2;
        switch (config.activation()) {
            case SILU -> CpuMatmul.siluGateInto(buf.gateUp, n, intermediate, buf.gated);
            case GELU_TANH -> CpuMatmul.geluTanhGateInto(buf.gateUp, n, intermediate, buf.gated);
        }
        project(layer, layer.down(), bank, buf.gated, n, buf.mlpOut, threads, Op.MLP_PROJECTIONS);
        addNormed(x, from * width, buf.mlpOut, n, layer.postMlpNorm(), threads);
    }

    /** The LM head over final hidden rows [rows, hidden]: logits [rows, vocab], soft-capped where the family says so. */
    float[] logits(float[] hidden, int rows, int threads) {
        float[] y = CpuMatmul.multiply(lmHead, hidden, rows, threads);
        float cap = (float) config.finalSoftcap();
        if (cap > 0) {
            CpuMatmul.softcap(y, 0, y.length, cap);
        }
        return y;
    }

    /**
     * Log-probabilities of {@code targets} (one per row) under the LM head's soft-capped logits of final hidden rows [rows,
     * hidden]: the LM head read once for all the rows, no [rows, vocab] array ({@link CpuMatmul#targetLogProbs}).
     */
    float[] targetLogProbs(float[] hidden, int rows, int[] targets, int threads) {
        return CpuMatmul.targetLogProbs(lmHead, hidden, rows, targets, (float) config.finalSoftcap(), threads);
    }

    /**
     * {@code x W^T (+ b)} of each module into its columns of y [rows, p.width()], plus each module's active LoRA
     * entries, {@code (coef * x A^T) B^T}; xs [rows, in] (buffers may be longer than their rows).
     */
    private void project(Layer layer, Projection p, LoraBank bank, float[] xs, int rows, float[] y, int threads, Op op) {
        ProjectionModule[] modules = new ProjectionModule[p.kinds().length];
        int offset = 0;
        for (int i = 0; i < modules.length; i++) {
            LoraBank.Packed lora = packed(layer, p, i, bank);
            modules[i] = new ProjectionModule(p.views()[i], p.biases()[i],
                    lora == null ? null : new ProjectionModule.Lora(lora.aBytes(), lora.bBytes(), lora.coefs()), offset);
            offset += p.views()[i].rows();
        }
        CpuMatmul.project(modules, xs, rows, y, p.width(), threads, op);
    }

    /** The bank's packed LoRA entries of module i of p, or null when none is active. */
    private static LoraBank.Packed packed(Layer layer, Projection p, int i, LoraBank bank) {
        LoraBank.Packed lora = bank.packed(layer.keys()[p.kinds()[i].ordinal()]);
        if (lora != null && lora.aBytes() == null) {
            throw new IllegalStateException("LoRA entries with trainable factors need a decoder over arrays (Decoder.fromArrays)");
        }
        return lora;
    }

    /**
     * q [B, heads, T, D], k and v [B, kvHeads, T, D] (into the buffers) from fused q/k/v rows [B * T, (heads + 2
     * kvHeads) D]: q/k RMSNorm per head where the model has it, then rotate-half RoPE on q and k at each row's position.
     */
    private void headsOf(Buffers buf, Layer layer, float[][] tables, int[] positions, int batch, int tokens, int threads) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        int width = (heads + 2 * kvHeads) * d;
        float[] qkv = buf.qkv;
        CpuMatmul.forRows(batch * tokens, width, threads, (from, to) -> {
            float[] head = new float[d];
            for (int row = from; row < to; row++) {
                int b = row / tokens;
                int t = row % tokens;
                int angles = positions[row] * d;
                for (int h = 0; h < heads + 2 * kvHeads; h++) {
                    boolean isQ = h < heads;
                    boolean isK = !isQ && h < heads + kvHeads;
                    int index = isQ ? h : isK ? h - heads : h - heads - kvHeads;
                    int count = isQ ? heads : kvHeads;
                    float[] target = isQ ? buf.q : isK ? buf.k : buf.v;
                    int at = ((b * count + index) * tokens + t) * d;
                    if (isQ || isK) {
                        float[] norm = isQ ? layer.qNorm() : layer.kNorm();
                        if (norm == null) {
                            System.arraycopy(qkv, row * width + h * d, head, 0, d);
                        } else {
                            normRows(qkv, row * width + h * d, 1, norm, head, 0);
                        }
                        rotateHalf(head, tables[0], tables[1], angles, target, at);
                    } else {
                        System.arraycopy(qkv, row * width + h * d, target, at, d);
                    }
                }
            }
        });
    }

    /** Attention rows [B * T, heads * D] (into the buffers) of this step's q/k/v over what the cache holds (extending it) or over themselves. */
    private void attend(int l, Layer layer, Buffers buf, KvCache cache, float[] keyMask, int batch, int tokens, int past, int threads) {
        long t0 = OpTimes.start();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        float[] keys = buf.k;
        float[] values = buf.v;
        int capacity = tokens;
        if (cache != null) {
            capacity = cache.appendHost(l, keys, values, batch, kvHeads, tokens, d);
            keys = cache.hostKeys(l);
            values = cache.hostValues(l);
        }
        CpuMatmul.attendInto(buf.q, keys, values, capacity, batch, heads, kvHeads, tokens, past, d, (float) config.attentionScale(),
                (float) config.attentionSoftcap(), layer.sliding() ? config.slidingWindow() : 0, keyMask, buf.attended, threads);
        OpTimes.since(Op.ATTENTION, t0);
    }

    /** {@code x cos + rotate_half(x) sin} of one head, rotate_half(x) = cat(-x[half:], x[:half]), into {@code out} at {@code at}. */
    private static void rotateHalf(float[] x, float[] cos, float[] sin, int angles, float[] out, int at) {
        int half = x.length / 2;
        for (int i = 0; i < x.length; i++) {
            float rotated = i < half ? -x[i + half] : x[i - half];
            out[at + i] = x[i] * cos[angles + i] + rotated * sin[angles + i];
        }
    }

    /** {@code x[at..] += y} of rows [rows, hidden], y RMS-normed first where the family has this norm (weight non-null; y is then overwritten). */
    private void addNormed(float[] x, int at, float[] y, int rows, float[] weight, int threads) {
        int n = config.hiddenSize();
        CpuMatmul.forRows(rows, n, threads, (from, to) -> {
            if (weight != null) {
                normRows(y, from * n, to - from, weight, y, from * n);
            }
            for (int i = from * n; i < to * n; i++) {
                x[at + i] += y[i];
            }
        });
    }

    /** RMSNorm of rows [0, rows) of x from element {@code at} into out from 0, split over threads by rows. */
    private void rmsNorm(float[] x, int at, int rows, float[] weight, float[] out, int threads) {
        int n = weight.length;
        CpuMatmul.forRows(rows, n, threads, (from, to) -> normRows(x, at + from * n, to - from, weight, out, from * n));
    }

    /** RMSNorm of {@code rows} rows of x from element {@code at} into out from element {@code outAt}, on this thread. */
    private void normRows(float[] x, int at, int rows, float[] weight, float[] out, int outAt) {
        int n = weight.length;
        float eps = (float) config.rmsNormEps();
        for (int r = 0; r < rows; r++) {
            CpuMatmul.rmsNormRow(x, at + r * n, n, weight, eps, out, outAt + r * n);
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
