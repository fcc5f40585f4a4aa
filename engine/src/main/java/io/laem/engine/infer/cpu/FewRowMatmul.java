package io.laem.engine.infer.cpu;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code y = x W^T} for decode steps (a few rows of x) on the CPU, streaming float32 weights from
 * native memory once per call, split over threads by output rows.
 *
 * <p>Why not the BLAS inside libtorch: on the CPUs measured (docs/benchmarks.md "Decode kernel"), its
 * GEMM at 2-8 rows runs at half the speed of its one-row GEMV or less (it packs the weight panel
 * first), so a batch-8 decode step cost 4.7-7x the time to read the weights. This kernel needs the
 * JDK's incubating Vector API ({@code --add-modules jdk.incubator.vector}, which {@code ./laem} and the
 * build pass); without the module {@link #available()} is false and callers use PyTorch.
 */
public final class FewRowMatmul {
    /** Largest row count this kernel is used for; larger ones (prefill, scoring) are GEMMs that BLAS does well. */
    public static final int MAX_ROWS = 8;
    /** System property that turns the kernel off ("false"), read on every call (benchmarks compare both). */
    public static final String ENABLED_PROPERTY = "laem.fewRowKernel";

    private static final boolean MODULE_PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /**
     * Matrices smaller than this many floats (1 MB) run on the calling thread: a hand-off costs about as
     * much as multiplying a few hundred KB, and waking a parked worker far more.
     */
    private static final long SPLIT_FLOATS = 1 << 18;
    /** The calling thread works on the chunks too. */
    private static final SpinningWorkers WORKERS = new SpinningWorkers();

    private FewRowMatmul() {}

    /** True when the JVM was started with the Vector API module. */
    public static boolean modulePresent() {
        return MODULE_PRESENT;
    }

    /** True when the module is present and the kernel is not turned off. */
    public static boolean available() {
        return MODULE_PRESENT && !"false".equals(System.getProperty(ENABLED_PROPERTY));
    }

    /**
     * {@code y[r, j] = sum_k x[r, k] w[j, k]}: {@code w} float32 [out, in] little-endian, {@code x}
     * [rows, in] row-major; returns y [rows, out]. {@code threads} splits the output rows.
     */
    public static float[] multiply(MemorySegment w, int out, int in, float[] x, int rows, int threads) {
        float[] y = new float[rows * out];
        multiplyInto(w, out, in, x, rows, y, out, 0, false, threads);
        return y;
    }

    /**
     * The same into columns {@code [offset, offset + out)} of y [rows, stride], replacing what is there or,
     * with {@code add}, adding to it (a LoRA delta onto its module's slice of a fused projection).
     */
    public static void multiplyInto(MemorySegment w, int out, int in, float[] x, int rows, float[] y, int stride, int offset, boolean add,
                                    int threads) {
        requireFit(w.byteSize() >= (long) out * in * Float.BYTES && x.length >= (long) rows * in && offset >= 0 && offset + out <= stride
                && y.length >= (long) rows * stride, () -> "weight of " + w.byteSize() + " bytes, x of " + x.length + " floats or y of "
                + y.length + " floats do not fit [" + out + ", " + in + "] x " + rows + " rows at columns " + offset + " of " + stride);
        VectorKernel.Out target = new VectorKernel.Out(y, stride, offset, add);
        split(out, 4, (long) out * in, threads, (j0, j1) -> VectorKernel.multiply(w, in, x, rows, target, j0, j1));
    }

    /**
     * {@code y[r, offset + j] += sum_q u[r, q] bt[q, j]} for j < out: u [rows, rank], bt float32 [rank, out]
     * little-endian (a LoRA B stored transposed), y [rows, stride]. A rank-R update vectorised along the
     * output, split over threads by output columns.
     */
    public static void addProductInto(float[] u, int rows, int rank, MemorySegment bt, int out, float[] y, int stride, int offset,
                                      int threads) {
        requireFit(bt.byteSize() >= (long) rank * out * Float.BYTES && u.length >= (long) rows * rank && offset >= 0
                && offset + out <= stride && y.length >= (long) rows * stride, () -> "bt of " + bt.byteSize() + " bytes, u of " + u.length
                + " floats or y of " + y.length + " floats do not fit [" + rank + ", " + out + "] x " + rows + " rows at columns " + offset
                + " of " + stride);
        VectorKernel.Out target = new VectorKernel.Out(y, stride, offset, true);
        split(out, VectorKernel.lanes(), (long) rank * out, threads, (j0, j1) -> VectorKernel.addProduct(u, rows, rank, bt, out, target, j0, j1));
    }

    /** SwiGLU of a fused gate/up output [rows, 2n] (gate first): {@code silu(gate) * up}, [rows, n]. */
    public static float[] siluGate(float[] gateUp, int rows) {
        requireFit(rows > 0 && gateUp.length % (2 * rows) == 0, () -> gateUp.length + " floats are not " + rows + " rows of gate and up");
        int n = gateUp.length / rows / 2;
        float[] out = new float[rows * n];
        VectorKernel.siluGate(gateUp, rows, n, out);
        return out;
    }

    /** Work on columns or rows {@code [from, to)}. */
    private interface Range {
        void run(int from, int to);
    }

    /**
     * GeGLU of a fused gate/up output [rows, 2n] (gate first): {@code gelu_tanh(gate) * up}, [rows, n], with
     * HF's "gelu_pytorch_tanh" {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. Scalar: a few rows
     * of the intermediate width cost little beside the matmuls.
     */
    public static float[] geluTanhGate(float[] gateUp, int rows) {
        if (rows <= 0 || gateUp.length % (2 * rows) != 0) {
            throw new IllegalArgumentException("FewRowMatmul: " + gateUp.length + " floats are not " + rows + " rows of gate and up");
        }
        int n = gateUp.length / rows / 2;
        float[] out = new float[rows * n];
        double c = Math.sqrt(2 / Math.PI);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                double x = gateUp[r * 2 * n + i];
                out[r * n + i] = (float) (0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)))) * gateUp[r * 2 * n + n + i];
            }
        }
        return out;
    }

    /**
     * Attention of one new token per sequence over its keys and values: q [batch, heads, d], k and v
     * [batch, kvHeads, total, d] (grouped-query: head h reads kv head h / (heads / kvHeads)); returns
     * [batch, heads * d]: softmax({@code scale * q k^T}) v per head, the scores soft-capped to
     * {@code softcap tanh(s / softcap)} first when {@code softcap > 0} (Gemma 2).
     */
    public static float[] attendOne(float[] q, float[] k, float[] v, int batch, int heads, int kvHeads, int total, int d, float scale,
                                    float softcap) {
        requireFit(kvHeads > 0 && heads % kvHeads == 0 && total > 0 && q.length == batch * heads * d && k.length == batch * kvHeads * total * d
                && v.length == k.length, () -> "q of " + q.length + ", k of " + k.length + " and v of " + v.length + " floats are not "
                + batch + " x " + heads + "/" + kvHeads + " heads x " + total + " positions x " + d);
        float[] out = new float[batch * heads * d];
        VectorKernel.attendOne(q, k, v, batch, heads, kvHeads, total, d, scale, softcap, out);
        return out;
    }

    private static void requireFit(boolean fits, java.util.function.Supplier<String> what) {
        if (!MODULE_PRESENT) {
            throw new IllegalStateException("FewRowMatmul needs --add-modules jdk.incubator.vector");
        }
        if (!fits) {
            throw new IllegalArgumentException("FewRowMatmul: " + what.get());
        }
    }

    /** {@code body} over {@code [0, n)}: on this thread for a matrix under {@link #SPLIT_FLOATS}, else in chunks over threads. */
    private static void split(int n, int granule, long floats, int threads, Range body) {
        int parts = floats < SPLIT_FLOATS ? 1 : Math.max(1, Math.min(threads, n / granule));
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
        int count = (n + size - 1) / size;
        AtomicInteger next = new AtomicInteger();
        Runnable take = () -> {
            for (int c = next.getAndIncrement(); c < count; c = next.getAndIncrement()) {
                body.run(c * size, Math.min(n, (c + 1) * size));
            }
        };
        Runnable[] tasks = new Runnable[parts];
        java.util.Arrays.fill(tasks, take);
        WORKERS.runAll(tasks);
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

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
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment w = arena.allocate((long) out * in * Float.BYTES, 64);
                float[] x = new float[8 * in];
                float[] y = new float[8 * out];
                for (int i = 0; i < 20_000; i++) {
                    int rows = 1 + i % MAX_ROWS;
                    VectorKernel.multiply(w, in, x, rows, new VectorKernel.Out(y, out, 0, i % 2 == 0), 0, out);
                    VectorKernel.addProduct(x, rows, 8, w, out, new VectorKernel.Out(y, out, 0, true), 0, out);
                    VectorKernel.siluGate(y, rows, out / 2, x);
                }
            }
        }, "laem-matmul-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }
}
