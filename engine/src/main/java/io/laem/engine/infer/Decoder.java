package io.laem.engine.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import io.laem.engine.LaemException;
import io.laem.engine.infer.cpu.CpuMatmul;
import io.laem.engine.infer.cpu.OpTimes;
import io.laem.engine.io.FloatCodec;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ArchitectureTemplate.Norm;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.WeightStore;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pre-norm decoder-only transformer of the families {@link ArchitectureTemplate} describes (llama,
 * mistral, qwen2, qwen3, phi3, gemma2, gemma3) written over DJL NDArrays, matching HF transformers'
 * {@code *ForCausalLM}: RMSNorm in float32 (times {@code 1 + w} for Gemma), rotate-half RoPE (a second
 * base for sliding layers where the family has one), grouped-query attention with the config's scale,
 * soft-cap and sliding window, post-attention and post-MLP norms where the template has them, a gated
 * MLP with the config's activation, separate or fused (Phi-3) projections, tied or separate LM head with
 * an optional final soft-cap, and the {@link LoraBank} applied unmerged in every linear layer. The
 * family is data: this class reads the resolved {@link ModelConfig} and the template, never a family name.
 *
 * <p>The same code serves inference and training: the weights are plain NDArrays (HF tensor
 * names, see {@link #parameters()}), so inside a {@code GradientCollector} gradients reach any of
 * them (or bank factors) that have {@code setRequiresGradient(true)}. The forward opens no
 * {@link NDScope} of its own; callers that loop wrap each step in one.
 *
 * <p>Padding: the attention mask is [B, T] with 1 for real tokens and 0 for padding, on either side.
 * Position ids are {@code cumsum(mask) - 1} (clamped at 0) as HF generate computes them, so left
 * padding gives the same logits as no padding, and right padding leaves real tokens untouched.
 */
public final class Decoder implements AutoCloseable {
    private static final float MASKED = -1e9f;

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final DataType dataType;
    private final LoraBank bank;
    private final Rope rope;
    /** RoPE of the sliding layers when their base differs (Gemma 3), else null: every layer uses {@link #rope}. */
    private final Rope localRope;
    private final boolean ownsManager;

    private final NDArray embed;
    private final NDArray lmHead;
    private final NDArray finalNorm;
    private final Layer[] layers;
    private java.util.function.Consumer<NDArray> loraProbe;
    /** The CPU forward over the mapped weights (null: every op in PyTorch, over the arrays in {@link #params}). */
    private final CpuForward cpu;
    /** Set by {@link #close()}: the CPU forward reads the weights' mapping, which would then be closed. */
    private volatile boolean closed;
    /**
     * RMSNorm's epsilon (float32), the attention scale and the embedding scale (null: none): DJL makes a tensor of
     * a Java number on every use.
     */
    private final NDArray rmsEps;
    private final NDArray attentionScale;
    private final NDArray embedScale;

    /**
     * Modules fed the same input. Fused: one weight [sum out, in] (one matmul streaming the same bytes,
     * fewer native calls) whose output is split per module; otherwise one weight per module (training
     * over caller-owned arrays, so gradients reach each of them).
     */
    private record Projection(ModuleKind[] kinds, NDArray weight, NDArray bias, long[] splits, NDArray[] weights, NDArray[] biases) {}

    /** A layer's weights; norms the family does not have are null. {@code keys} is indexed by module kind ordinal. */
    private record Layer(NDArray inputNorm, NDArray postAttentionNorm, NDArray preMlpNorm, NDArray postMlpNorm, NDArray qNorm,
                         NDArray kNorm, Projection attnIn, Projection o, Projection mlpIn, Projection down, ModuleKey[] keys) {}

    private Decoder(ModelConfig config, NDManager manager, Map<String, NDArray> params, boolean ownsManager) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        this.ownsManager = ownsManager;
        this.cpu = null;
        ArchitectureTemplate t = config.template();
        this.embed = require(t.embedTokens(), config.vocabSize(), config.hiddenSize());
        this.dataType = embed.getDataType();
        this.lmHead = config.tieWordEmbeddings() ? embed : require(t.lmHead(), config.vocabSize(), config.hiddenSize());
        this.finalNorm = require(t.finalNorm(), config.hiddenSize());
        this.layers = new Layer[config.numLayers()];
        ModuleKind[] attnIn = t.attentionInputs().toArray(ModuleKind[]::new);
        ModuleKind[] mlpIn = t.mlpInputs().toArray(ModuleKind[]::new);
        for (int l = 0; l < layers.length; l++) {
            ModuleKey[] keys = moduleKeys(config, l);
            // fused only over weights the decoder owns: the per-module tensors become views of the fused one
            boolean fuse = ownsManager;
            layers[l] = new Layer(norm(Norm.INPUT, l), norm(Norm.POST_ATTENTION, l), norm(Norm.PRE_MLP, l), norm(Norm.POST_MLP, l),
                    norm(Norm.Q, l), norm(Norm.K, l), projection(l, attnIn, fuse),
                    projection(l, new ModuleKind[] {ModuleKind.O_PROJ}, fuse), projection(l, mlpIn, fuse),
                    projection(l, new ModuleKind[] {ModuleKind.DOWN_PROJ}, fuse), keys);
        }
        this.bank = new LoraBank(config, manager, dataType);
        this.rope = new Rope(config, firstLayer(config, false), manager);
        this.localRope = localRope(config, manager);
        this.rmsEps = manager.create((float) config.rmsNormEps());
        this.attentionScale = manager.create((float) config.attentionScale()).toType(dataType, false);
        NDScope.unregister(rmsEps, attentionScale);
        // HF: torch.tensor(hidden_size ** 0.5) cast to the weights' dtype
        this.embedScale = t.embeddingScaled() ? manager.create((float) Math.sqrt(config.hiddenSize())).toType(dataType, false) : null;
        if (embedScale != null) {
            NDScope.unregister(embedScale);
        }
    }

    /** A layer's module keys indexed by module kind ordinal (null for kinds the family does not have), as both forwards look them up. */
    static ModuleKey[] moduleKeys(ModelConfig config, int layer) {
        ModuleKey[] keys = new ModuleKey[ModuleKind.values().length];
        for (ModuleKind k : config.modules()) {
            keys[k.ordinal()] = new ModuleKey(layer, k);
        }
        return keys;
    }

    /**
     * A decoder whose forward is {@link CpuForward} over the mapped weights: no arrays of the weights at all. The
     * bank, RoPE tables and scalars live in {@code manager} as for the PyTorch path.
     */
    private Decoder(ModelConfig config, NDManager manager, CpuForward cpu) {
        this.config = config;
        this.manager = manager;
        this.params = new LinkedHashMap<>();
        this.ownsManager = true;
        this.cpu = cpu;
        this.dataType = DataType.FLOAT32;
        this.embed = null;
        this.lmHead = null;
        this.finalNorm = null;
        this.layers = null;
        this.bank = new LoraBank(config, manager, dataType, true);
        this.rope = new Rope(config, firstLayer(config, false), manager);
        this.localRope = localRope(config, manager);
        this.rmsEps = manager.create((float) config.rmsNormEps());
        this.attentionScale = manager.create((float) config.attentionScale());
        this.embedScale = null;
        NDScope.unregister(rmsEps, attentionScale);
        CpuMatmul.warmUpInBackground();
    }

    /** RoPE of the sliding layers when their base or scaling differs from the full layers' (Gemma 3), else null. */
    private static Rope localRope(ModelConfig config, NDManager manager) {
        int full = firstLayer(config, false);
        int sliding = firstLayer(config, true);
        return config.ropeTheta(sliding) != config.ropeTheta(full)
                || !java.util.Objects.equals(config.ropeScaling(sliding), config.ropeScaling(full))
                ? new Rope(config, sliding, manager) : null;
    }

    /** The first layer that slides (or does not), or layer 0 when there is none: whose RoPE the others of its kind share. */
    private static int firstLayer(ModelConfig config, boolean sliding) {
        for (int l = 0; l < config.numLayers(); l++) {
            if (config.sliding(l) == sliding) {
                return l;
            }
        }
        return 0;
    }

    /** A layer's norm weight, or null when the family has no such norm. */
    private NDArray norm(Norm norm, int layer) {
        String name = config.template().norm(norm, layer);
        return name == null ? null : require(name, norm.perHead() ? config.headDim() : config.hiddenSize());
    }
    private Projection projection(int layer, ModuleKind[] kinds, boolean fuse) {
        ArchitectureTemplate t = config.template();
        NDArray[] w = new NDArray[kinds.length];
        NDArray[] b = new NDArray[kinds.length];
        long[] ends = new long[kinds.length];
        long end = 0;
        for (int i = 0; i < kinds.length; i++) {
            ModuleKey key = new ModuleKey(layer, kinds[i]);
            w[i] = require(t.weight(key), kinds[i].outFeatures(config), kinds[i].inFeatures(config));
            if (config.hasBias(kinds[i])) {
                b[i] = require(t.bias(key), kinds[i].outFeatures(config));
            }
            end += kinds[i].outFeatures(config);
            ends[i] = end;
        }
        long[] splits = Arrays.copyOf(ends, kinds.length - 1);
        if (kinds.length == 1) {
            return new Projection(kinds, w[0], b[0], splits, w, b);
        }
        if (!fuse) {
            return new Projection(kinds, null, null, splits, w, b);
        }
        NDArray weight = fuse(layer, kinds, w, splits, ArchitectureTemplate::weight);
        NDArray bias = b[0] == null ? null : fuse(layer, kinds, b, splits, ArchitectureTemplate::bias);
        return new Projection(kinds, weight, bias, splits, null, null);
    }

    /** Concatenates the modules' tensors along rows and replaces each parameter by a view of its rows. */
    private NDArray fuse(int layer, ModuleKind[] kinds, NDArray[] parts, long[] splits,
                         java.util.function.BiFunction<ArchitectureTemplate, ModuleKey, String> name) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        NDList views = fused.split(splits, 0);
        NDScope.unregister(fused);
        NDScope.unregister(views);
        for (int i = 0; i < kinds.length; i++) {
            String n = name.apply(config.template(), new ModuleKey(layer, kinds[i]));
            views.get(i).setName(n);
            params.put(n, views.get(i));
            parts[i].close();
        }
        return fused;
    }

    private NDArray require(String name, long... shape) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new LaemException("decoder weights: missing tensor '" + name + "'");
        }
        if (!a.getShape().equals(new Shape(shape))) {
            throw new LaemException("decoder weights: tensor '" + name + "' has shape " + a.getShape() + ", expected "
                    + new Shape(shape));
        }
        return a;
    }

    /** Opens a model folder's weights for inference on the CPU (mapped in their stored dtype where the CPU kernels run). */
    public static Decoder load(HfModel model) {
        return load(model, Device.cpu(), DataType.FLOAT32);
    }

    /**
     * On the CPU in float32 (the default) with the CPU kernels available ({@link CpuMatmul#available()}) and every
     * weight stored as F32, BF16 or F16 ({@link CpuForward#reads}): maps the weights in their stored dtype and runs
     * every forward in Java ({@link CpuForward}, which implements every option of the architecture templates), with
     * no copy of the weights (the mapping is the decoder's own). Otherwise (a GPU, float16 compute, the kernels
     * off, or F64 weights) copies the memory-mapped weights onto the device in a data type (float32, or float16
     * with norms, softmax and log-softmax in float32) for PyTorch.
     * Either way the HfModel can be closed afterwards.
     */
    public static Decoder load(HfModel model, Device device, DataType dataType) {
        if (!device.isGpu() && dataType == DataType.FLOAT32 && CpuMatmul.available() && CpuForward.reads(model.weights())) {
            NDManager manager = Djl.newManager(device);
            try {
                return new Decoder(model.config(), manager, CpuForward.map(model.config(), model.dir()));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
        return loadArrays(model, device, dataType);
    }

    /**
     * The weights copied onto the device in {@code dataType} (float32, or float16) for PyTorch, whatever the device:
     * the forward PyTorch's autograd can differentiate (the optimizer's gradient method, next to a mapped decoder).
     */
    public static Decoder loadArrays(HfModel model, Device device, DataType dataType) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
            // BFLOAT16 arrays abort the JVM in DJL 0.35.1's PyTorch JNI: refuse before touching them
            throw new LaemException(model.dir() + ": cannot run in " + dataType + " (supported: float32, float16)");
        }
        return loadArrays(model.config(), model.weights(), device, dataType);
    }

    /** Bytes {@link #floatArrays} allocates (4 per stored weight); 0 when the weights are arrays already. */
    public long floatArraysBytes() {
        if (cpu == null) {
            return 0;
        }
        long n = 0;
        for (String name : cpu.store().names()) {
            n += cpu.store().info(name).elementCount();
        }
        return Math.multiplyExact(n, Float.BYTES);
    }

    /**
     * This mapped decoder's weights as float32 arrays on the CPU for PyTorch, read from its own mapping (no second
     * mapping of the file): the decoder PyTorch's autograd runs next to the mapped forward. About 4 bytes per parameter,
     * in PyTorch's memory, given back when the copy is closed.
     */
    public Decoder floatArrays() {
        if (cpu == null) {
            throw new IllegalStateException("the decoder's weights are arrays already");
        }
        return loadArrays(config, cpu.store(), Device.cpu(), DataType.FLOAT32);
    }

    private static Decoder loadArrays(ModelConfig config, WeightStore w, Device device, DataType dataType) {
        NDManager manager = Djl.newManager(device);
        try {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (String name : w.names()) {
                params.put(name, read(manager, w, name, dataType));
            }
            return new Decoder(config, manager, params, true);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Rows of a tensor per array: a tensor over this is read in pieces and joined (a Java buffer addresses under 2 GB). */
    private static final long CHUNK_BYTES = 1L << 30;

    static NDArray read(NDManager manager, WeightStore w, String name, DataType dataType) {
        return read(manager, w, name, dataType, CHUNK_BYTES);
    }

    /**
     * One tensor onto the manager's device: per chunk of rows, an uninitialized float32 CPU array that the stored
     * values are widened into in place (its own memory, PyTorch's: no heap array, no staging buffer, freed when the
     * array closes), then moved to the device and cast to {@code dataType} where those differ.
     */
    static NDArray read(NDManager manager, WeightStore w, String name, DataType dataType, long chunkBytes) {
        TensorInfo info = w.info(name);
        Shape shape = new Shape(info.shape());
        long rows = info.rank() == 0 ? 1 : info.shape()[0];
        long rowElems = info.rank() == 0 ? 1 : shape.slice(1).size();
        long chunkRows = Math.max(1, chunkBytes / Math.max(4, rowElems * 4));
        int elemBytes = info.dtype().bytes();
        MemorySegment all = w.bytes(name);
        boolean onCpu = Device.Type.CPU.equals(manager.getDevice().getDeviceType());
        NDList parts = new NDList();
        try (NDManager host = onCpu ? null : manager.newSubManager(Device.cpu())) {
            for (long r = 0; r < rows; r += chunkRows) {
                long n = Math.min(chunkRows, rows - r);
                long count = n * rowElems;
                MemorySegment src = all.asSlice(r * rowElems * elemBytes, count * elemBytes);
                Shape partShape = info.rank() == 0 ? shape : new Shape(n).addAll(shape.slice(1));
                NDArray part = (onCpu ? manager : host).create(partShape, DataType.FLOAT32);
                // a dense new CPU array: PyTorch hands out a view of its memory
                ByteBuffer own = part.toByteBuffer(true);
                if (!own.isDirect() || own.capacity() != count * 4) {
                    part.close();
                    throw new IllegalStateException("PyTorch gave no view of the memory of array " + partShape);
                }
                FloatCodec.decode(info.dtype(), src, MemorySegment.ofBuffer(own), count);
                if (!onCpu) {
                    NDArray d = part.toDevice(manager.getDevice(), false);
                    d.attach(manager);
                    part.close();
                    part = d;
                }
                if (part.getDataType() != dataType) {
                    NDArray c = part.toType(dataType, false);
                    part.close();
                    part = c;
                }
                parts.add(part);
            }
            NDArray a = parts.size() == 1 ? parts.getFirst() : NDArrays.concat(parts, 0);
            if (parts.size() > 1) {
                parts.close();
            }
            a.setName(name);
            if (all.isMapped()) {
                // read once: its pages leave this process's resident set (the file stays in the page cache)
                all.unload();
            }
            return a;
        } catch (RuntimeException e) {
            parts.close();
            throw e;
        }
    }

    /**
     * A decoder over arrays already in memory (HF tensor names, e.g. from training code). The arrays
     * stay owned by the caller; the bank and rope tables live in {@code manager}.
     */
    public static Decoder fromArrays(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
        return new Decoder(config, manager, new LinkedHashMap<>(params), false);
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType dataType() {
        return dataType;
    }

    /**
     * The weights by HF tensor name (live arrays: changing them changes the model). Empty for a decoder over
     * mapped weights ({@link #load} on the CPU), which holds no arrays of them.
     */
    public Map<String, NDArray> parameters() {
        return java.util.Collections.unmodifiableMap(params);
    }

    /** The LoRA bank applied in every forward. */
    public LoraBank bank() {
        return bank;
    }

    public KvCache newCache() {
        return new KvCache(manager, config.numLayers());
    }

    /** Logits [B, T, vocab] of a full sequence (no cache); {@code mask} [B, T] or null for no padding. */
    public NDArray forward(NDArray inputIds, NDArray mask) {
        return logits(hidden(inputIds, mask, null));
    }

    /** The LM head over final hidden states [..., H] -> [..., vocab], soft-capped where the family says so. */
    public NDArray logits(NDArray hidden) {
        requireOpen();
        if (cpu == null) {
            NDArray y = Linear.linear(hidden, lmHead).singletonOrThrow();
            double cap = config.finalSoftcap();
            return cap > 0 ? y.div(cap).tanh().mul(cap) : y;
        }
        Shape s = hidden.getShape();
        return manager.create(cpuLogits(hidden), s.slice(0, s.dimension() - 1).add(config.vocabSize()));
    }

    /** The CPU forward's logits [rows * vocab] of final hidden states [..., H]. */
    private float[] cpuLogits(NDArray hidden) {
        int rows = Math.toIntExact(hidden.getShape().size() / config.hiddenSize());
        long t = OpTimes.start();
        float[] y = onCpu(threads -> cpu.logits(hidden.toFloatArray(), rows, threads));
        OpTimes.since(OpTimes.Op.LM_HEAD, t);
        OpTimes.since(OpTimes.Op.FORWARD, t);
        return y;
    }

    /**
     * {@link #logits} as float32 values, row after row: on the CPU forward its own array (a batch's logits are not put
     * into a tensor to be read back: 4.9 MB per step at batch 8 of a 152k vocabulary).
     */
    public float[] logitsFloats(NDArray hidden) {
        requireOpen();
        if (cpu == null) {
            return logits(hidden).toType(DataType.FLOAT32, false).toFloatArray();
        }
        return cpuLogits(hidden);
    }

    /**
     * The greedy next token of each row of final hidden states ([B, 1, H] or [B, H]): its logits' first largest entry,
     * found in Java (PyTorch's argMax on the CPU forward's logits took 5-7 ms per batch-8 step next to the kernels'
     * spinning threads).
     */
    public long[] greedyNext(NDArray hidden) {
        float[] y = logitsFloats(hidden);
        int v = config.vocabSize();
        long[] next = new long[y.length / v];
        for (int r = 0; r < next.length; r++) {
            next[r] = Sampler.argmax(y, r * v, v);
        }
        return next;
    }

    /**
     * Log-probabilities of {@code targets} (one per row) under the logits of final hidden rows [rows, hidden]: what scoring
     * needs, without a [rows, vocab] tensor (on the CPU one pass over the vocabulary for all the rows, in Java; in PyTorch the
     * logits of a few rows at a time).
     */
    float[] targetLogProbs(NDArray hiddenRows, long[] targets) {
        requireOpen();
        int rows = targets.length;
        if (cpu == null) {
            float[] out = new float[rows];
            int chunk = (int) Math.max(1, LOGIT_FLOATS / config.vocabSize());
            for (int from = 0; from < rows; from += chunk) {
                int to = Math.min(rows, from + chunk);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray part = rows <= chunk ? hiddenRows : hiddenRows.get(from + ":" + to);
                    NDArray logp = logits(part).toType(DataType.FLOAT32, false).logSoftmax(-1);
                    NDArray picked = logp.gather(manager.create(Arrays.copyOfRange(targets, from, to), new Shape(to - from, 1)), 1);
                    System.arraycopy(picked.toFloatArray(), 0, out, from, to - from);
                }
            }
            return out;
        }
        float[] h = hiddenRows.toFloatArray();
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) {
            t[r] = Math.toIntExact(targets[r]);
        }
        long start = OpTimes.start();
        float[] out = onCpu(threads -> cpu.targetLogProbs(h, rows, t, threads));
        OpTimes.since(OpTimes.Op.LM_HEAD, start);
        OpTimes.since(OpTimes.Op.FORWARD, start);
        return out;
    }

    /** Logits PyTorch's path of {@link #targetLogProbs} holds at a time (about 128 MB): [rows, vocab] of a whole batch could be gigabytes. */
    private static final long LOGIT_FLOATS = 32L << 20;

    /**
     * Runs CPU-forward work with PyTorch's intra-op thread count as the kernels' thread count, PyTorch itself
     * on one thread meanwhile (its OpenMP workers spinning between parallel regions would take the kernels' cores).
     */
    private <T> T onCpu(java.util.function.IntFunction<T> work) {
        // not JniUtils.isGradMode(): PyTorch's grad mode is on by default in every thread DJL did not start in, so it does
        // not mean a GradientCollector; trainable bank entries are refused where the forward meets them (CpuForward)
        if (loraProbe != null) {
            throw new IllegalStateException("a decoder over mapped weights runs inference only: training needs Decoder.fromArrays");
        }
        int threads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        try {
            return work.apply(threads);
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    /**
     * Final-norm hidden states [B, T, H] of {@code inputIds} [B, T] (int64 or int32) given what the
     * cache holds (null: no past). {@code mask} [B, T] marks real tokens of the new ones (null: all
     * real). The cache, when given, is extended with the new keys and values.
     */
    public NDArray hidden(NDArray inputIds, NDArray mask, KvCache cache) {
        requireOpen();
        Shape s = inputIds.getShape();
        if (s.dimension() != 2) {
            throw new LaemException("input ids must be [batch, tokens], got " + s);
        }
        int batch = (int) s.get(0);
        int tokens = (int) s.get(1);
        int past = cache == null ? 0 : cache.length();
        int total = past + tokens;
        NDArray ids = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);

        NDArray fullMask = null;
        NDArray pastMask = cache == null ? null : cache.mask();
        if (mask != null || pastMask != null) {
            NDArray m = mask == null ? manager.ones(new Shape(batch, tokens)) : mask.toType(DataType.FLOAT32, false);
            NDArray pm = pastMask != null ? pastMask : past > 0 ? manager.ones(new Shape(batch, past)) : null;
            fullMask = pm == null ? m : pm.concat(m, 1);
        }
        if (cpu != null) {
            return hiddenOnCpu(ids, fullMask, cache, batch, tokens, past);
        }
        NDArray positions;
        int maxPosition;
        if (fullMask == null) {
            long[] p = new long[batch * tokens];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < tokens; t++) {
                    p[b * tokens + t] = past + t;
                }
            }
            positions = manager.create(p, new Shape(batch, tokens));
            maxPosition = total - 1;
        } else {
            positions = fullMask.cumSum(1).sub(1).get(":, " + past + ":").maximum(0).toType(DataType.INT64, false);
            maxPosition = total - 1;
        }
        Rope.Tables ropeTables = rope.at(positions, maxPosition, dataType);
        AttentionStep full = new AttentionStep(ropeTables, attentionBias(fullMask, batch, tokens, past, 0), 0);
        AttentionStep sliding = full;
        if (config.slidingWindow() > 0) {
            Rope.Tables local = localRope == null ? ropeTables : localRope.at(positions, maxPosition, dataType);
            // one new token without padding: the window is a slice of the cache, no mask needed
            boolean slice = fullMask == null && tokens == 1;
            sliding = new AttentionStep(local, slice ? null : attentionBias(fullMask, batch, tokens, past, config.slidingWindow()),
                    slice ? Math.max(0, total - config.slidingWindow()) : 0);
        }
        AttentionStep[] steps = new AttentionStep[layers.length];
        for (int l = 0; l < layers.length; l++) {
            steps[l] = config.sliding(l) ? sliding : full;
        }
        NDArray x = Embedding.embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
        if (embedScale != null) {
            x = x.mul(embedScale);
        }
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            NDArray h = rmsNorm(x, layer.inputNorm());
            x = x.add(normed(attention(l, layer, h, steps[l], cache, batch, tokens), layer.postAttentionNorm()));
            h = rmsNorm(x, layer.preMlpNorm());
            x = x.add(normed(mlp(layer, h), layer.postMlpNorm()));
        }
        if (cache != null) {
            cache.advance(tokens, fullMask);
        }
        return rmsNorm(x, finalNorm);
    }

    /** {@link #hidden} by {@link CpuForward}: positions from the mask as the PyTorch path computes them. */
    private NDArray hiddenOnCpu(NDArray ids, NDArray fullMask, KvCache cache, int batch, int tokens, int past) {
        long[] idv = ids.toLongArray();
        float[] keyMask = fullMask == null ? null : fullMask.toFloatArray();
        int total = past + tokens;
        int[] positions = new int[batch * tokens];
        for (int b = 0; b < batch; b++) {
            int seen = 0;
            for (int j = 0; j < total; j++) {
                seen += keyMask == null ? 1 : (int) keyMask[b * total + j];
                if (j >= past) {
                    positions[b * tokens + j - past] = Math.max(0, seen - 1);
                }
            }
        }
        float[] h = onCpu(threads -> cpu.hidden(idv, batch, tokens, past, keyMask, positions, cache, bank, rope,
                localRope == null ? rope : localRope, threads));
        if (cache != null) {
            cache.advance(tokens, fullMask);
        }
        return manager.create(h, new Shape(batch, tokens, config.hiddenSize()));
    }

    /** The keys or values [B, kvHeads, S, D] a step's queries may see: from its first key on (a sliding window's slice). */
    private static NDArray window(NDArray kv, AttentionStep step) {
        return step.firstKey() == 0 ? kv : kv.get(":, :, " + step.firstKey() + ":");
    }

    /**
     * What one kind of layer (full or sliding) attends with in a forward: its RoPE tables, its additive mask
     * (null: none), and the first cache position its queries see (a sliding window taken as a slice).
     */
    private record AttentionStep(Rope.Tables rope, NDArray bias, int firstKey) {}

    /**
     * Additive mask [B, 1, 1, T, S]: causal, padding and, with {@code window > 0}, HF's sliding window (key j
     * visible to query i when {@code j > i - window}, over cache positions); null when nothing is masked (one
     * new token, no padding, no window).
     */
    private NDArray attentionBias(NDArray fullMask, int batch, int tokens, int past, int window) {
        int total = past + tokens;
        if (fullMask == null && tokens == 1 && window == 0) {
            return null;
        }
        float[] keyMask = fullMask == null ? null : fullMask.toFloatArray();
        int rows = fullMask == null ? 1 : batch;
        float[] bias = new float[rows * tokens * total];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < tokens; i++) {
                for (int j = 0; j < total; j++) {
                    boolean inWindow = window == 0 || j > past + i - window;
                    boolean ok = j <= past + i && inWindow && (keyMask == null || keyMask[b * total + j] != 0);
                    bias[(b * tokens + i) * total + j] = ok ? 0 : MASKED;
                }
            }
        }
        return manager.create(bias, new Shape(rows, 1, 1, tokens, total));
    }

    private NDArray attention(int l, Layer layer, NDArray h, AttentionStep step, KvCache cache, int batch, int tokens) {
        long q = (long) config.numHeads() * config.headDim();
        long kv = (long) config.numKvHeads() * config.headDim();
        NDArray[] qkv = parts(project(layer, layer.attnIn(), h), q, kv, kv);
        return project(layer, layer.o(), attend(l, layer, qkv, step, cache, batch, tokens))[0];
    }

    /** q, k, v (or gate, up) of a projection's outputs: as they are, or split from one fused module's output by width. */
    private static NDArray[] parts(NDArray[] outs, long... widths) {
        if (outs.length == widths.length) {
            return outs;
        }
        long[] ends = new long[widths.length - 1];
        long end = 0;
        for (int i = 0; i < ends.length; i++) {
            end += widths[i];
            ends[i] = end;
        }
        NDArray y = outs[0];
        return y.split(ends, y.getShape().dimension() - 1).toArray(new NDArray[0]);
    }

    /** Attention of q/k/v [B, T, heads * d] with RoPE and the cache: the heads' outputs [B, T, heads * d], before o_proj. */
    private NDArray attend(int l, Layer layer, NDArray[] qkv, AttentionStep step, KvCache cache, int batch, int tokens) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        Rope.Tables ropeTables = step.rope();
        NDArray q = qkv[0].reshape(batch, tokens, heads, d);
        NDArray k = qkv[1].reshape(batch, tokens, kvHeads, d);
        NDArray v = qkv[2].reshape(batch, tokens, kvHeads, d);
        if (layer.qNorm() != null) {
            q = rmsNorm(q, layer.qNorm());
            k = rmsNorm(k, layer.kNorm());
        }
        q = Rope.apply(q.transpose(0, 2, 1, 3), ropeTables);
        k = Rope.apply(k.transpose(0, 2, 1, 3), ropeTables);
        v = v.transpose(0, 2, 1, 3);
        return attendRotated(l, q, k, v, step, cache, batch, tokens).transpose(0, 2, 1, 3).reshape(batch, tokens, (long) heads * d);
    }

    /** Attention of rotated q [B, heads, T, D] over k, v [B, kvHeads, T, D] and what the cache holds: [B, heads, T, D]. */
    private NDArray attendRotated(int l, NDArray q, NDArray k, NDArray v, AttentionStep step, KvCache cache, int batch, int tokens) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        int rep = heads / kvHeads;
        NDArray bias = step.bias();
        if (cache != null) {
            NDArray[] kv = cache.append(l, k, v);
            k = window(kv[0], step);
            v = window(kv[1], step);
        }
        int total = (int) k.getShape().get(2);
        // group the query heads that share a kv head, so K and V are never repeated
        NDArray qg = q.reshape(batch, kvHeads, (long) rep * tokens, d);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale);
        double cap = config.attentionSoftcap();
        if (cap > 0) {
            scores = scores.div(cap).tanh().mul(cap);
        }
        scores = scores.toType(DataType.FLOAT32, false).reshape(batch, kvHeads, rep, tokens, total);
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = scores.softmax(-1).toType(v.getDataType(), false).reshape(batch, kvHeads, (long) rep * tokens, total);
        return probs.matMul(v).reshape(batch, heads, tokens, d);
    }

    private NDArray mlp(Layer layer, NDArray h) {
        NDArray[] gateUp = parts(project(layer, layer.mlpIn(), h), config.intermediateSize(), config.intermediateSize());
        NDArray gate = gateUp[0];
        NDArray activated = switch (config.activation()) {
            case SILU -> gate.mul(Activation.sigmoid(gate));
            // HF "gelu_pytorch_tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            case GELU_TANH -> gate.mul(0.5).mul(gate.pow(3).mul(0.044715).add(gate).mul(Math.sqrt(2 / Math.PI)).tanh().add(1));
        };
        return project(layer, layer.down(), activated.mul(gateUp[1]))[0];
    }

    /** {@code x W^T + b} of each module of the projection, plus the bank's active entries for that module. */
    private NDArray[] project(Layer layer, Projection p, NDArray x) {
        ModuleKind[] kinds = p.kinds();
        NDArray[] out = new NDArray[kinds.length];
        if (p.weight() != null) {
            split(linear(x, p.weight(), p.bias()), p, out);
        } else {
            for (int i = 0; i < kinds.length; i++) {
                out[i] = linear(x, p.weights()[i], p.biases()[i]);
            }
        }
        for (int i = 0; i < kinds.length; i++) {
            LoraBank.Packed lora = bank.packed(layer.keys()[kinds[i].ordinal()]);
            if (lora != null) {
                NDArray u = Linear.linear(x, lora.a()).singletonOrThrow().mul(lora.coef());
                NDArray delta = Linear.linear(u, lora.b()).singletonOrThrow();
                if (loraProbe != null) {
                    loraProbe.accept(delta);
                }
                out[i] = out[i].add(delta);
            }
        }
        return out;
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();
    }

    /** Each module's columns of a fused projection's output. */
    private static void split(NDArray y, Projection p, NDArray[] out) {
        if (out.length == 1) {
            out[0] = y;
            return;
        }
        NDList parts = y.split(p.splits(), y.getShape().dimension() - 1);
        for (int i = 0; i < out.length; i++) {
            out[i] = parts.get(i);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("decoder is closed");
        }
    }

    /**
     * Training hook: every LoRA delta a forward adds to a module's output ({@code [batch, tokens, out]},
     * in the forward's graph) is passed to {@code probe}, e.g. to penalize it; null removes the hook.
     */
    public void probeLoraOutputs(java.util.function.Consumer<NDArray> probe) {
        if (cpu != null && probe != null) {
            throw new IllegalStateException("a decoder over mapped weights runs inference only: LoRA probes need Decoder.fromArrays");
        }
        this.loraProbe = probe;
    }

    /** {@link #rmsNorm} of x when the family has this norm (weight non-null), else x. */
    private NDArray normed(NDArray x, NDArray weight) {
        return weight == null ? x : rmsNorm(x, weight);
    }

    /**
     * HF's RMSNorm: normalise in float32, cast back, then scale by the weight (Llama); Gemma scales by
     * {@code 1 + w} in float32 and casts back after.
     */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray xf = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray var = xf.square().mean(new int[] {-1}, true);
        NDArray normed = xf.div(var.add(rmsEps).sqrt());
        if (config.template().normPlusOne()) {
            NDArray w = weight.getDataType() == DataType.FLOAT32 ? weight : weight.toType(DataType.FLOAT32, false);
            NDArray out = normed.mul(w.add(1));
            return out.getDataType() == x.getDataType() ? out : out.toType(x.getDataType(), false);
        }
        if (normed.getDataType() != weight.getDataType()) {
            normed = normed.toType(weight.getDataType(), false);
        }
        return normed.mul(weight);
    }

    /** Bytes of the weights (for bandwidth bounds). */
    public long parameterBytes() {
        if (cpu != null) {
            return cpu.weightBytes();
        }
        return params.values().stream().distinct().mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
    }

    @Override
    public void close() {
        closed = true;
        rmsEps.close();
        attentionScale.close();
        if (embedScale != null) {
            embedScale.close();
        }
        bank.close();
        rope.close();
        if (localRope != null) {
            localRope.close();
        }
        if (ownsManager) {
            manager.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    @Override
    public String toString() {
        return config.modelType() + " decoder " + Arrays.toString(new int[] {config.numLayers(), config.hiddenSize()});
    }
}
