package io.laem.engine.infer.cpu;

import io.laem.engine.io.DType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU forward's kernels: {@code y = x W^T} over a {@link WeightView} in its stored dtype for any number of
 * rows, the LoRA bank's rank updates, SwiGLU and causal attention, split over threads.
 *
 * <p>Why not the BLAS inside libtorch: it needs float32 copies of BF16/F16 weights (several times the file's
 * bytes), and on the CPUs measured (docs/benchmarks.md) its GEMM at 2-8 rows ran at half its one-row GEMV's
 * speed (it packs the weight panel first). This kernel needs the JDK's incubating Vector API
 * ({@code --add-modules jdk.incubator.vector}, which {@code ./laem} and the build pass); without the module
 * {@link #available()} is false and the decoder uses PyTorch.
 */
public final class CpuMatmul {
    /** Largest row count read straight from memory (decode); more rows go through widened panels. */
    public static final int MAX_ROWS = 8;
    /** System property that turns the CPU kernels off ("false"): the decoder then loads float32 copies for PyTorch. */
    public static final String ENABLED_PROPERTY = "laem.cpuKernel";

    private static final boolean MODULE_PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /**
     * Matrices smaller than this many elements run on the calling thread: a hand-off costs about as
     * much as multiplying a few hundred KB, and waking a parked worker far more.
     */
    private static final long SPLIT_ELEMENTS = 1 << 18;
    /** The calling thread works on the chunks too. */
    private static final SpinningWorkers WORKERS = new SpinningWorkers();
    /** Each thread's widened panel (many-row products). */
    private static final ThreadLocal<MemorySegment> PANEL = ThreadLocal.withInitial(
            () -> java.lang.foreign.Arena.ofAuto().allocate((long) (VectorKernel.PANEL_FLOATS + 4096) * Float.BYTES, 64));

    /** Each thread's widened panel for the broadcast kernel (many rows). */
    private static final ThreadLocal<float[]> HEAP_PANEL = ThreadLocal.withInitial(() -> new float[VectorKernel.BROADCAST_PANEL_FLOATS]);
    /** Each thread's outputs scratch for the broadcast kernel. */
    private static final ThreadLocal<float[]> OUT_TILE = ThreadLocal.withInitial(() -> new float[VectorKernel.BROADCAST_OUT_FLOATS]);
    /** The calling thread's transposed rows of x (grown on demand; up to a few MB while scoring). */
    private static final ThreadLocal<float[]> TRANSPOSED = ThreadLocal.withInitial(() -> new float[0]);

    /** The helper threads every split shares (one caller at a time; see {@link SpinningWorkers}). */
    static SpinningWorkers workers() {
        return WORKERS;
    }

    /** This thread's array of {@code buffer}, grown to at least {@code floats} (reused across calls: no churn per call). */
    private static float[] grown(ThreadLocal<float[]> buffer, int floats) {
        float[] t = buffer.get();
        if (t.length < floats) {
            t = new float[floats];
            buffer.set(t);
        }
        return t;
    }

    private CpuMatmul() {}

    /** True when the JVM was started with the Vector API module. */
    public static boolean modulePresent() {
        return MODULE_PRESENT;
    }

    /** True when the module is present and the kernels are not turned off. */
    public static boolean available() {
        return MODULE_PRESENT && !"false".equals(System.getProperty(ENABLED_PROPERTY));
    }

    /** {@code y[r, j] = sum_k x[r, k] w[j, k]}, x [rows, in] row-major; returns y [rows, out]. {@code threads} splits the output rows. */
    public static float[] multiply(WeightView w, float[] x, int rows, int threads) {
        float[] y = new float[rows * w.rows()];
        multiplyInto(w, x, rows, y, w.rows(), 0, false, threads);
        return y;
    }

    /**
     * The same into columns {@code [offset, offset + out)} of y [rows, stride], replacing what is there or,
     * with {@code add}, adding to it (a module's slice of a fused projection's output).
     */
    public static void multiplyInto(WeightView w, float[] x, int rows, float[] y, int stride, int offset, boolean add, int threads) {
        int out = w.rows();
        int in = w.cols();
        requireFit(x.length >= (long) rows * in && offset >= 0 && offset + out <= stride && y.length >= (long) rows * stride,
                () -> "x of " + x.length + " floats or y of " + y.length + " floats do not fit [" + out + ", " + in + "] x " + rows
                        + " rows at columns " + offset + " of " + stride);
        VectorKernel.Out target = new VectorKernel.Out(y, stride, offset, add);
        int kind = kind(w.dtype());
        MemorySegment bytes = w.bytes();
        if (FewRowProjection.fits(w, rows)) {
            FewRowProjection.project(new ProjectionModule[] {new ProjectionModule(w, null, null, offset)}, x, rows, y, stride, add,
                    threads, null);
        } else if (kind == VectorKernel.F32 && rows <= MAX_ROWS || in > VectorKernel.PANEL_FLOATS / 4) {
            if (kind != VectorKernel.F32) {
                throw new IllegalArgumentException("CpuMatmul: rows of " + in + " " + w.dtype() + " elements are longer than a panel");
            }
            split(out, 4, (long) out * in * Math.max(1, rows / 4), threads,
                    (j0, j1) -> VectorKernel.multiply(bytes, in, x, rows, target, j0, j1));
        } else if (rows >= VectorKernel.XT_ROWS) {
            float[] xt = grown(TRANSPOSED, VectorKernel.transposedFloats(rows, in));
            VectorKernel.transposeRows(x, rows, in, xt);
            split(out, VectorKernel.broadcastPanelRows(in), (long) out * in * rows, threads,
                    (j0, j1) -> VectorKernel.multiplyPanelsBroadcast(bytes, kind, in, xt, rows, target, j0, j1, HEAP_PANEL.get(),
                            OUT_TILE.get()));
        } else {
            split(out, VectorKernel.panelRows(in), (long) out * in * rows, threads,
                    (j0, j1) -> VectorKernel.multiplyPanels(bytes, kind, in, x, rows, target, j0, j1, PANEL.get()));
        }
    }

    /** Each thread's x A^T of a projection's LoRA updates (grown on demand). */
    private static final ThreadLocal<float[]> LORA_ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The modules of one projection over the same rows x [rows, in] (q/k/v, o, gate/up, down) into their columns of y
     * [rows, stride], replacing what is there: each module's {@code x W^T}, bias and LoRA update {@code (coef * x A^T) B^T}.
     * Few rows go to {@link FewRowProjection} (one hand-off per projection); many rows ({@link VectorKernel#XT_ROWS} and
     * more) are transposed once for all the modules, their LoRA A products run split over the rows, and each module's
     * update is folded into its weight panels (see {@link VectorKernel.Tail}), so y is written in one pass per module.
     * {@code op} is charged the products, {@link OpTimes.Op#LORA} the A products (the B products are inside the panels).
     */
    public static void project(ProjectionModule[] modules, float[] x, int rows, float[] y, int stride, int threads, OpTimes.Op op) {
        int in = modules[0].weights().cols();
        boolean fewRows = true;
        int widest = in;
        for (ProjectionModule m : modules) {
            fewRows &= FewRowProjection.fits(m.weights(), rows);
            widest = Math.max(widest, in + (m.lora() == null ? 0 : m.lora().rank()));
        }
        if (fewRows) {
            FewRowProjection.project(modules, x, rows, y, stride, false, threads, op);
        } else if (rows >= VectorKernel.XT_ROWS && widest <= VectorKernel.PANEL_FLOATS / 4) {
            projectTransposed(modules, x, rows, in, y, stride, threads, op);
        } else {
            for (ProjectionModule m : modules) {
                long t = OpTimes.start();
                multiplyInto(m.weights(), x, rows, y, stride, m.offset(), false, threads);
                OpTimes.since(op, t);
                addBias(m, rows, y, stride);
                ProjectionModule.Lora lora = m.lora();
                if (lora != null) {
                    t = OpTimes.start();
                    int rank = lora.rank();
                    float[] u = grown(LORA_ROWS, rows * rank);
                    multiplyInto(WeightView.f32(lora.a(), rank, in), x, rows, u, rank, 0, false, threads);
                    float[] c = lora.coefs();
                    for (int r = 0; r < rows; r++) {
                        for (int q = 0; q < rank; q++) {
                            u[r * rank + q] *= c[q];
                        }
                    }
                    int out = m.weights().rows();
                    VectorKernel.Out target = new VectorKernel.Out(y, stride, m.offset(), true);
                    split(out, VectorKernel.B_BLOCK, (long) rank * out * rows, threads,
                            (j0, j1) -> VectorKernel.addProduct(u, rows, rank, lora.b(), target, j0, j1));
                    OpTimes.since(OpTimes.Op.LORA, t);
                }
            }
        }
    }

    /** {@link #project} for many rows: x transposed once, each block followed by the modules' scaled LoRA rows. */
    private static void projectTransposed(ProjectionModule[] modules, float[] x, int rows, int in, float[] y, int stride, int threads,
                                          OpTimes.Op op) {
        int[] tailAt = new int[modules.length];
        int tails = 0;
        for (int m = 0; m < modules.length; m++) {
            tailAt[m] = in + tails;
            tails += modules[m].lora() == null ? 0 : modules[m].lora().rank();
        }
        int blockStride = (in + tails) * VectorKernel.XT_ROWS;
        int blocks = (rows + VectorKernel.XT_ROWS - 1) / VectorKernel.XT_ROWS;
        float[] xt = grown(TRANSPOSED, blocks * blockStride);
        long t = OpTimes.start();
        // counted as 4 elements per element (strided stores): a 128-row MLP block's transposition is split too
        split(blocks, 1, (long) rows * in * 4, threads, (b0, b1) -> VectorKernel.transposeRows(x, rows, in, xt, blockStride, b0, b1));
        OpTimes.since(op, t);
        if (tails > 0) {
            t = OpTimes.start();
            int width = tails;
            split(blocks, 1, (long) rows * in * tails, threads, (b0, b1) -> {
                float[] u = grown(LORA_ROWS, (b1 - b0) * VectorKernel.XT_ROWS * width);
                float[] acc = OUT_TILE.get();
                for (int m = 0; m < modules.length; m++) {
                    ProjectionModule.Lora lora = modules[m].lora();
                    if (lora == null) {
                        continue;
                    }
                    // rows of blocks [b0, b1) land at rows [0, ...) of u: the Out's offset moves them back by b0's first row
                    VectorKernel.multiplyPanelsBroadcast(lora.a(), VectorKernel.F32, in, null, xt, blockStride, rows, b0, b1,
                            new VectorKernel.Out(u, width, tailAt[m] - in - b0 * VectorKernel.XT_ROWS * width, false), 0, lora.rank(),
                            HEAP_PANEL.get(), acc);
                }
                for (int m = 0; m < modules.length; m++) {
                    ProjectionModule.Lora lora = modules[m].lora();
                    if (lora != null) {
                        VectorKernel.putTail(u, width, tailAt[m] - in, lora.coefs(), rows, xt, blockStride, tailAt[m], b0, b1);
                    }
                }
            });
            OpTimes.since(OpTimes.Op.LORA, t);
        }
        t = OpTimes.start();
        for (int m = 0; m < modules.length; m++) {
            ProjectionModule module = modules[m];
            WeightView w = module.weights();
            ProjectionModule.Lora lora = module.lora();
            VectorKernel.Tail tail = lora == null ? null : new VectorKernel.Tail(lora.b(), lora.rank(), tailAt[m]);
            int len = in + (lora == null ? 0 : lora.rank());
            VectorKernel.Out target = new VectorKernel.Out(y, stride, module.offset(), false);
            split(w.rows(), VectorKernel.broadcastPanelRows(len), (long) w.rows() * len * rows, threads,
                    (j0, j1) -> VectorKernel.multiplyPanelsBroadcast(w.bytes(), kind(w.dtype()), in, tail, xt, blockStride, rows, 0, blocks,
                            target, j0, j1, HEAP_PANEL.get(), OUT_TILE.get()));
            addBias(module, rows, y, stride);
        }
        OpTimes.since(op, t);
    }

    private static void addBias(ProjectionModule m, int rows, float[] y, int stride) {
        float[] b = m.bias();
        if (b != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < b.length; j++) {
                    y[r * stride + m.offset() + j] += b[j];
                }
            }
        }
    }

    private static int kind(DType dtype) {
        return switch (dtype) {
            case BF16 -> VectorKernel.BF16;
            case F16 -> VectorKernel.F16;
            default -> VectorKernel.F32;
        };
    }

    /** SwiGLU of a fused gate/up output [rows, 2n] (gate first): {@code silu(gate) * up}, [rows, n]. */
    public static float[] siluGate(float[] gateUp, int rows) {
        requireFit(rows > 0 && gateUp.length % (2 * rows) == 0, () -> gateUp.length + " floats are not " + rows + " rows of gate and up");
        float[] out = new float[gateUp.length / 2];
        siluGateInto(gateUp, rows, gateUp.length / rows / 2, out);
        return out;
    }

    /** {@link #siluGate} of the first {@code rows} rows of gateUp [rows, 2n] into {@code out[0..rows * n)} (a forward's reused buffers). */
    public static void siluGateInto(float[] gateUp, int rows, int n, float[] out) {
        requireFit(rows > 0 && gateUp.length >= 2L * rows * n && out.length >= (long) rows * n,
                () -> gateUp.length + " floats are not " + rows + " rows of gate and up of " + n + ", or out of " + out.length + " is short");
        VectorKernel.siluGate(gateUp, rows, n, out);
    }

    /**
     * GeGLU of a fused gate/up output [rows, 2n] (gate first): {@code gelu_tanh(gate) * up}, [rows, n], with
     * HF's "gelu_pytorch_tanh" {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. Scalar: the intermediate
     * width costs little beside the matmuls.
     */
    public static float[] geluTanhGate(float[] gateUp, int rows) {
        requireFit(rows > 0 && gateUp.length % (2 * rows) == 0, () -> gateUp.length + " floats are not " + rows + " rows of gate and up");
        float[] out = new float[gateUp.length / 2];
        geluTanhGateInto(gateUp, rows, gateUp.length / rows / 2, out);
        return out;
    }

    /** {@link #geluTanhGate} of the first {@code rows} rows of gateUp [rows, 2n] into {@code out[0..rows * n)} (a forward's reused buffers). */
    public static void geluTanhGateInto(float[] gateUp, int rows, int n, float[] out) {
        requireFit(rows > 0 && gateUp.length >= 2L * rows * n && out.length >= (long) rows * n,
                () -> gateUp.length + " floats are not " + rows + " rows of gate and up of " + n + ", or out of " + out.length + " is short");
        double c = Math.sqrt(2 / Math.PI);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                double x = gateUp[r * 2 * n + i];
                out[r * n + i] = (float) (0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)))) * gateUp[r * 2 * n + n + i];
            }
        }
    }

    /**
     * HF's RMSNorm of one row: {@code out[o + i] = x[at + i] * (1 / sqrt(mean(x^2) + eps)) * weight[i]} for i < n, in
     * float32 (the sum of squares in vector lanes, then across them); out may be x at the same place.
     */
    public static void rmsNormRow(float[] x, int at, int n, float[] weight, float eps, float[] out, int o) {
        requireFit(at >= 0 && o >= 0 && n <= weight.length && at + n <= x.length && o + n <= out.length,
                () -> "row of " + n + " at " + at + " of " + x.length + " into " + o + " of " + out.length + " (weight " + weight.length + ")");
        VectorKernel.rmsNormRow(x, at, n, weight, eps, out, o);
    }

    /** Vocabulary rows per chunk of {@link #targetLogProbs} at most: enough chunks to share among threads at few rows. */
    private static final int VOCAB_CHUNK_MAX = 4096;
    /** Floats of one chunk's logits [rows, chunk] in {@link #targetLogProbs}: 256 KB, in L2 from the product to its log-sum-exp. */
    private static final int LOGIT_CHUNK_FLOATS = 1 << 16;
    /** Each thread's logits of one vocabulary chunk (grown on demand). */
    private static final ThreadLocal<float[]> LOGIT_CHUNK = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code log softmax(z[r])[targets[r]]} for each row r of x [rows, in], where z = x W^T are the logits of an LM head W
     * [vocab, in] in its stored dtype, soft-capped to {@code softcap tanh(z / softcap)} first when {@code softcap > 0}
     * (Gemma 2), without a [rows, vocab] array: the vocabulary is walked once in chunks, W read and widened once for all the
     * rows; each chunk's logits [rows, chunk] go into an L2-sized buffer and are folded into that chunk's max and sum of
     * {@code exp(z - max)} per row (log-sum-exp as in an online softmax). The chunks are split over threads and combined
     * in vocabulary order at the end, so the thread count does not change the arithmetic.
     */
    public static float[] targetLogProbs(WeightView w, float[] x, int rows, int[] targets, float softcap, int threads) {
        int vocab = w.rows();
        int in = w.cols();
        requireFit(rows > 0 && x.length >= (long) rows * in && targets.length == rows
                        && java.util.Arrays.stream(targets).allMatch(t -> t >= 0 && t < vocab),
                () -> "x of " + x.length + " floats or " + targets.length + " targets in [0, " + vocab + ") do not fit " + rows
                        + " rows of " + in);
        int kind = kind(w.dtype());
        MemorySegment bytes = w.bytes();
        // many rows: transposed once for every chunk's broadcast kernel; fewer: each chunk as multiplyInto multiplies them
        boolean broadcast = rows >= VectorKernel.XT_ROWS && in <= VectorKernel.PANEL_FLOATS / 4;
        float[] xt = broadcast ? grown(TRANSPOSED, VectorKernel.transposedFloats(rows, in)) : null;
        if (broadcast) {
            VectorKernel.transposeRows(x, rows, in, xt);
        }
        int granule = broadcast ? VectorKernel.broadcastPanelRows(in) : VectorKernel.panelRows(in);
        int chunk = Math.clamp((long) LOGIT_CHUNK_FLOATS / rows / granule * granule, granule, Math.max(granule, VOCAB_CHUNK_MAX));
        int chunks = (vocab + chunk - 1) / chunk;
        float[] max = new float[chunks * rows];
        float[] sum = new float[chunks * rows];
        float[] target = new float[rows];
        split(chunks, 1, (long) vocab * in * rows, threads, (c0, c1) -> {
            float[] z = grown(LOGIT_CHUNK, rows * chunk);
            for (int c = c0; c < c1; c++) {
                int j0 = c * chunk;
                int j1 = Math.min(vocab, j0 + chunk);
                int n = j1 - j0;
                if (broadcast) {
                    VectorKernel.multiplyPanelsBroadcast(bytes, kind, in, xt, rows, new VectorKernel.Out(z, n, -j0, false), j0, j1,
                            HEAP_PANEL.get(), OUT_TILE.get());
                } else {
                    multiplyInto(w.rows(j0, j1), x, rows, z, n, 0, false, 1);
                }
                for (int r = 0; r < rows; r++) {
                    int at = r * n;
                    if (softcap > 0) {
                        softcap(z, at, n, softcap);
                    }
                    float m = VectorKernel.max(z, at, n);
                    max[c * rows + r] = m;
                    sum[c * rows + r] = VectorKernel.sumExp(z, at, n, m);
                    if (targets[r] >= j0 && targets[r] < j1) {
                        target[r] = z[at + targets[r] - j0];
                    }
                }
            }
        });
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < chunks; c++) {
                m = Math.max(m, max[c * rows + r]);
            }
            double s = 0;
            for (int c = 0; c < chunks; c++) {
                s += sum[c * rows + r] * Math.exp(max[c * rows + r] - m);
            }
            out[r] = (float) (target[r] - m - Math.log(s));
        }
        return out;
    }

    /** {@code y[i] = cap tanh(y[i] / cap)} for i in {@code [from, from + n)}, in float32 as HF computes it on float32 logits (Gemma 2). */
    public static void softcap(float[] y, int from, int n, float cap) {
        for (int i = from; i < from + n; i++) {
            y[i] = cap * (float) Math.tanh(y[i] / cap);
        }
    }

    /**
     * {@code body} over rows {@code [0, rows)} of {@code elementsPerRow} elements each, split over threads as the kernels
     * split (on this thread below {@link #SPLIT_ELEMENTS}): for the forward's row-wise steps (norms, RoPE, residual adds),
     * which on one thread were a tenth of scoring's wall time with two.
     */
    public static void forRows(int rows, long elementsPerRow, int threads, Range body) {
        requireFit(rows >= 0, () -> rows + " rows");
        split(rows, 1, rows * elementsPerRow, threads, body);
    }

    /** Work on columns or rows {@code [from, to)}. */
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Causal grouped-query attention of {@code tokens} new tokens per sequence over what the cache holds: q
     * [batch, heads, tokens, d]; k and v [batch, kvHeads, capacity, d] with {@code past + tokens} positions
     * filled; keyMask [batch, past + tokens] (1 real, 0 padding) or null. Query i sees keys j <= past + i that
     * are not padding and, with {@code window > 0}, satisfy {@code j > past + i - window} (HF's sliding window over
     * cache positions); returns [batch * tokens, heads * d]: softmax({@code scale * q k^T}) v per head, the scores
     * soft-capped to {@code softcap tanh(s / softcap)} first when {@code softcap > 0} (Gemma 2).
     */
    public static float[] attend(float[] q, float[] k, float[] v, int capacity, int batch, int heads, int kvHeads, int tokens, int past,
                                 int d, float scale, float softcap, int window, float[] keyMask, int threads) {
        float[] out = new float[batch * tokens * heads * d];
        attendInto(q, k, v, capacity, batch, heads, kvHeads, tokens, past, d, scale, softcap, window, keyMask, out, threads);
        return out;
    }

    /** {@link #attend} into {@code out[0..batch * tokens * heads * d)}, which it overwrites (a forward's reused buffer). */
    public static void attendInto(float[] q, float[] k, float[] v, int capacity, int batch, int heads, int kvHeads, int tokens, int past,
                                  int d, float scale, float softcap, int window, float[] keyMask, float[] out, int threads) {
        int seen = past + tokens;
        requireFit(kvHeads > 0 && heads % kvHeads == 0 && tokens > 0 && capacity >= seen && q.length == batch * heads * tokens * d
                        && k.length >= batch * kvHeads * capacity * d && v.length == k.length
                        && (keyMask == null || keyMask.length == batch * seen),
                () -> "q of " + q.length + ", k of " + k.length + " and v of " + v.length + " floats are not " + batch + " x " + heads + "/"
                        + kvHeads + " heads x " + tokens + " new of " + seen + " positions (capacity " + capacity + ") x " + d);
        requireFit(out.length >= batch * tokens * heads * d, () -> "out of " + out.length + " floats is short");
        long work = (long) batch * heads * tokens * seen * d;
        split(batch * heads, 1, work, threads,
                (bh0, bh1) -> VectorKernel.attend(q, k, v, capacity, heads, kvHeads, tokens, past, d, scale, softcap, window, keyMask, out,
                        bh0, bh1, new float[seen]));
    }

    private static void requireFit(boolean fits, java.util.function.Supplier<String> what) {
        if (!MODULE_PRESENT) {
            throw new IllegalStateException("CpuMatmul needs --add-modules jdk.incubator.vector");
        }
        if (!fits) {
            throw new IllegalArgumentException("CpuMatmul: " + what.get());
        }
    }

    /** {@code body} over {@code [0, n)}: on this thread for work under {@link #SPLIT_ELEMENTS}, else in chunks over threads. */
    private static void split(int n, int granule, long work, int threads, Range body) {
        int parts = work < SPLIT_ELEMENTS ? 1 : Math.max(1, Math.min(threads, n / granule));
        if (parts == 1) {
            body.run(0, n);
        } else {
            inChunks(n, granule, parts, body);
        }
    }

    /**
     * {@code [0, n)} in chunks (multiples of {@code granule}) taken from a shared counter by {@code parts}
     * threads, the caller one of them: four chunks per thread, so a thread that starts late or runs
     * slower (a busy core) takes fewer and none waits long for the other.
     */
    private static void inChunks(int n, int granule, int parts, Range body) {
        int chunks = parts * 4;
        int size = ((n + chunks - 1) / chunks + granule - 1) / granule * granule;
        WORKERS.run(new Chunks(n, size, body), parts);
    }

    /** A split's chunks: written in place by whoever takes them, so the caller waits for every chunk taken. */
    private static final class Chunks implements SpinningWorkers.Job {
        private final int n;
        private final int size;
        private final int count;
        private final Range body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;

        Chunks(int n, int size, Range body) {
            this.n = n;
            this.size = size;
            this.count = (n + size - 1) / size;
            this.body = body;
        }

        @Override
        public void help() {
            for (int c = next.getAndIncrement(); c < count; c = next.getAndIncrement()) {
                try {
                    body.run(c * size, Math.min(n, (c + 1) * size));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        @Override
        public void finish() {
            long since = System.nanoTime();
            while (done.get() < count) {
                SpinningWorkers.pause(since);
            }
            SpinningWorkers.rethrow(failure);
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();
    /** The warm-up thread until it has finished; null before it starts and after. */
    private static volatile Thread warmUp;

    /**
     * Waits until the background warm-up has compiled the kernels (returns at once when it is done or never started).
     * A forward calls this first: run before the JIT has compiled the kernels, a forward boxes every vector on the heap
     * (gigabytes per second of garbage), and the GC answers by growing the heap by hundreds of MB that it keeps; the
     * warm-up's small matrices make the same garbage with almost nothing live, which the GC clears without growing.
     * Waiting costs no time to the first token: the forward it holds back would itself run interpreted.
     */
    public static void awaitWarmUp() {
        Thread t = warmUp;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Compiles the kernels in the background, once per JVM: until the JIT has compiled them the Vector API
     * runs interpreted, hundreds of times slower, and the first tokens a user generates would crawl.
     */
    public static void warmUpInBackground() {
        if (!MODULE_PRESENT || !WARMING.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            int out = 64;
            int in = 96;
            // shared, as the mapped weights and the bank's packs are: the kernels compiled for a confined segment's scope
            // checks were compiled again at the first real call
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                MemorySegment w = arena.allocate((long) out * in * Float.BYTES, 64);
                float[] x = new float[16 * in];
                float[] y = new float[16 * out];
                MemorySegment panel = arena.allocate((long) VectorKernel.PANEL_FLOATS * Float.BYTES, 64);
                float[] kv = new float[2 * 4 * in];
                float[] mask = {1, 0, 1, 1};
                float[] xt = new float[VectorKernel.transposedFloats(x.length / in, in)];
                float[] xw = new float[x.length / in * out];
                float[] heapPanel = new float[VectorKernel.BROADCAST_PANEL_FLOATS];
                float[] col = new float[VectorKernel.BROADCAST_OUT_FLOATS];
                float[] xtTail = new float[(in + 8) * VectorKernel.XT_ROWS];
                float[] tailCoefs = {1, 0.5f, 0.25f, 1, 1, 1, 1, 2};
                // not FewRowProjection: warmed up here (split over two threads) it left the overall peak RSS of `laem bench
                // score` 350 MB higher (decode b8), and its first calls at real sizes are not counted by its thread choice
                for (int i = 0; i < 20_000; i++) {
                    int rows = 1 + i % MAX_ROWS;
                    int kind = i % 3;
                    VectorKernel.multiply(w, in, x, rows, new VectorKernel.Out(y, out, 0, i % 2 == 0), 0, out);
                    VectorKernel.multiplyBf16(w, in, x, rows, new VectorKernel.Out(y, out, 0, i % 2 == 0), 0, out);
                    VectorKernel.multiplyPanels(w, kind, in, x, i % 2 == 0 ? rows : 16, new VectorKernel.Out(y, out, 0, false), 0, out, panel);
                    if (i % 4 == 0) {
                        VectorKernel.transposeRows(x, x.length / in, in, xt);
                        VectorKernel.multiplyPanelsBroadcast(w, kind, in, xt, x.length / in, new VectorKernel.Out(xw, out, 0, i % 8 == 0), 0, out,
                                heapPanel, col);
                        // with a LoRA tail (projections with active adapters): its second loop compiled too
                        VectorKernel.transposeRows(x, x.length / in, in, xtTail, (in + 8) * VectorKernel.XT_ROWS, 0, 1);
                        VectorKernel.putTail(y, out, 0, tailCoefs, x.length / in, xtTail, (in + 8) * VectorKernel.XT_ROWS, in, 0, 1);
                        VectorKernel.multiplyPanelsBroadcast(w, kind, in, new VectorKernel.Tail(w, 8, in), xtTail,
                                (in + 8) * VectorKernel.XT_ROWS, x.length / in, 0, 1, new VectorKernel.Out(xw, out, 0, false), 0, out, heapPanel, col);
                    }
                    VectorKernel.addProduct(x, rows, 8, w, new VectorKernel.Out(y, out, 0, true), 0, out);
                    VectorKernel.siluGate(y, rows, out / 2, x);
                    // with and without a key mask: decode steps over a cache pass one, so a kernel compiled without would deoptimise
                    VectorKernel.attend(x, kv, kv, 4, 2, 1, 1, 3, in / 2, 0.1f, i % 2 == 0 ? 0 : 50f, i % 4, i % 3 == 0 ? null : mask, y, 0, 2,
                            new float[4]);
                    VectorKernel.rmsNormRow(x, 0, in, x, 1e-6f, y, 0);
                    // scoring's log-sum-exp: one call of targetLogProbs runs it ~150,000 times, interpreted until C2 compiles it
                    VectorKernel.sumExp(y, 0, out, VectorKernel.max(y, 0, out));
                }
                // the interpreted kernels boxed every vector: the GC grew the heap for that garbage and keeps what it grew
                // (hundreds of MB, resident beside the weights); a full collection now, with nothing live, gives it back
                System.gc();
            } finally {
                warmUp = null;
            }
        }, "laem-matmul-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        warmUp = t;
        t.start();
    }
}
