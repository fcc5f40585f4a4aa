package io.laem.engine.infer.cpu;

import io.laem.engine.io.DType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The few-row (decode) projection of modules fed the same x into their columns of one output row (q/k/v, o, gate/up,
 * down, the LM head), each with its bias and LoRA update {@code (coef * x A^T) B^T}, in one hand-off to the threads.
 *
 * <p>Why: at one row a module's product is 50-500 us, and splitting each product and each LoRA update separately cost
 * a hand-off and a wait per matrix (seven per layer, the LoRA updates too small to split at all), which with two
 * threads made decode slower than with one. Here a section is a list of chunks of about {@link #CHUNK_BYTES} of
 * weights that the threads take from one counter: first the LoRA A products (a module's rank rows), then the modules'
 * output columns, each chunk its product, bias and LoRA update for those columns, waiting only for its module's A
 * product (done long before: those chunks were taken first). So a section waits once, at its end, and a thread
 * slowed by a busy core takes fewer chunks.
 *
 * <p>A worker computes its chunks into scratch and copies them into place only if the caller has not taken them back:
 * a caller that runs out of chunks while a worker still holds some (the scheduler has set it aside for another
 * process) computes them itself instead of waiting. Whether to split at all is measured as it runs
 * ({@link ThreadChoice}): on a busy machine one thread can be faster.
 *
 * <p>Each output is computed by the same kernel calls in the same order as {@link CpuMatmul#multiplyInto}, the bias
 * loop and the LoRA products on one thread (chunks start at multiples of {@link #granule}, so the
 * tiles and vector tails fall where they fall without a split), so the split changes no result (beyond what can
 * differ between any two calls of a kernel: the order of its lane sums, which the JIT may choose).
 */
public final class FewRowProjection {
    /**
     * Weight bytes a chunk covers (20-30 us of one thread's bandwidth): small enough that a late worker's chunk costs the
     * caller little, large enough that taking and committing chunks costs little (128 KB decoded ~10% slower).
     */
    static final long CHUNK_BYTES = 512 << 10;
    /** At most this many chunks per thread (the LM head, 311 MB in BF16: chunks of 600 KB), a bound on the chunk list. */
    private static final int MAX_CHUNKS_PER_THREAD = 256;
    /** Sections with fewer weight bytes than this (times the rows) run on the calling thread: a hand-off costs more. */
    static final long SPLIT_BYTES = 512 << 10;

    private static final int LORA_A = 0;
    private static final int COLUMNS = 1;

    private FewRowProjection() {}

    /** Whether this class multiplies {@code rows} rows over these weights: at most {@link CpuMatmul#MAX_ROWS}, F32 or BF16. */
    public static boolean fits(WeightView w, int rows) {
        return rows > 0 && rows <= CpuMatmul.MAX_ROWS && (w.dtype() == DType.F32 || w.dtype() == DType.BF16);
    }

    /**
     * {@code y[r, m.offset + j] = sum_k x[r, k] w[j, k] + bias[j] + sum_q (coef[q] sum_k x[r, k] a[q, k]) bt[q, j]} for
     * every module m; x [rows, in] (in: the modules' width), y [rows, stride]. With {@code add} the product is added to
     * what y holds instead of replacing it. While {@link OpTimes} counts, the call's wall time goes to {@code op}, less
     * the LoRA updates' share of the threads' time, which goes to {@link OpTimes.Op#LORA}.
     */
    public static void project(ProjectionModule[] modules, float[] x, int rows, float[] y, int stride, boolean add, int threads, OpTimes.Op op) {
        project(modules, x, rows, y, stride, add, threads, op, Tuning.DEFAULT);
    }

    /** {@link #project} with other chunk sizes and waits (tests split small matrices). */
    static void project(ProjectionModule[] modules, float[] x, int rows, float[] y, int stride, boolean add, int threads, OpTimes.Op op,
                        Tuning tuning) {
        new Plan(modules, x, rows, y, stride, add, threads, op, tuning).execute();
    }

    /**
     * Weight bytes per chunk; sections with fewer weight bytes (times the rows) run on the calling thread; how long the
     * caller waits for a worker's chunks before computing them itself; whether the split is measured against one thread
     * ({@link ThreadChoice}) or always made.
     */
    record Tuning(long chunkBytes, long splitBytes, long stealAfterNanos, boolean adaptive) {
        static final Tuning DEFAULT = new Tuning(CHUNK_BYTES, SPLIT_BYTES, 60_000, true);
    }

    /** Columns {@code [from, to)} of a module start at multiples of this: a BF16 / F32 tile (4 rows) and a vector of lanes. */
    static int granule() {
        return Math.max(4, VectorKernel.lanes());
    }

    /** Whether decode's projections are split now (every caller's: the machine's load is what it measures). */
    private static final ThreadChoice CHOICE = new ThreadChoice();

    /**
     * Split or not, by measuring both: on a machine whose cores other processes also use, a second thread gets a share
     * of a core while it spins and waits as much as while it works, and the split projections ran slower than on one
     * thread (docs/benchmarks.md). So the splits that could use several threads alternate windows of {@link #WINDOW} calls
     * split and on one thread, compare the time per byte, and run the faster way for the next windows ({@link #LONG}
     * windows when splitting won clearly, else {@link #SHORT}: one thread is checked again soon, as load comes and
     * goes), then measure again. The process's first window is not counted: its calls run while the JIT compiles
     * them for the model's real sizes (in a benchmark 2-3 times the cost per byte of the windows after it).
     */
    static final class ThreadChoice {
        static final int WINDOW = 32;
        static final int SHORT = 8;
        static final int LONG = 32;
        /** Splitting must be this much faster per byte to win clearly. */
        private static final double CLEAR = 1.15;

        /** Windows not counted yet (the first). */
        private int skip = 1;
        /** Windows still to run the chosen way; 0: measuring (split first, then one thread). */
        private int remaining;
        private boolean measuringSplit = true;
        private boolean chosen = true;
        private int calls;
        private long nanos;
        private long work;
        private double splitCost;

        /** Whether the next call splits. */
        synchronized boolean split() {
            return remaining > 0 ? chosen : measuringSplit;
        }

        /** A call's wall time and work, split or not as {@link #split} said. */
        synchronized void record(long callNanos, long callWork) {
            nanos += callNanos;
            work += callWork;
            if (++calls < WINDOW) {
                return;
            }
            double cost = (double) nanos / Math.max(1, work);
            calls = 0;
            nanos = 0;
            work = 0;
            if (skip > 0) {
                skip--;
            } else if (remaining > 0) {
                remaining--;
            } else if (measuringSplit) {
                splitCost = cost;
                measuringSplit = false;
            } else {
                chosen = splitCost <= cost;
                remaining = cost > CLEAR * splitCost ? LONG : SHORT;
                measuringSplit = true;
            }
        }
    }

    /** A worker's scratch for a chunk it computes before it commits it (grown on demand; a few KB at decode). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * One call's chunks and the state the threads share. A chunk goes FREE -> OWNED (the caller, or a worker when the
     * call adds into y, computes it in place) or FREE -> CLAIMED (a worker computes it into its scratch) -> COMMITTING
     * (copied into place) -> DONE. A caller that has run out of chunks and still waits steals chunks that are FREE or
     * CLAIMED (CLAIMED -> OWNED) and computes them itself; the worker's commit then fails and it drops its copy. So a
     * worker the scheduler has set aside costs the caller one chunk, not the wait until it runs again. Only the caller
     * steals: the results are needed on its thread.
     */
    private static final class Plan implements SpinningWorkers.Job {
        private static final int FREE = 0;
        private static final int OWNED = 1;
        private static final int CLAIMED = 2;
        private static final int COMMITTING = 3;
        private static final int DONE = 4;

        private final ProjectionModule[] modules;
        private final float[] x;
        /** x in {@link VectorKernel#pairOrder} for BF16 modules where their kernel reads it so (else null). */
        private final float[] xPairs;
        private final int rows;
        private final int in;
        private final float[] y;
        private final int stride;
        private final boolean add;
        private final Thread caller = Thread.currentThread();
        /** Each module's {@code coef * x A^T} [rows, rank], or null without LoRA. */
        private final float[][] u;
        /** Rank rows of each module's u done (written before the count: a chunk that sees them all reads u safely). */
        private final AtomicIntegerArray ready;
        /** Each module's A-product chunks: {@code [aFirst[m], aEnd[m])}. */
        private final int[] aFirst;
        private final int[] aEnd;
        /** Chunks as (kind, module, from, to). */
        private final int[] chunks;
        private final int count;
        private final AtomicIntegerArray states;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;
        private final int parts;
        /** Bytes read (weights and LoRA factors) times the rows: the work {@link #CHOICE} measures time against. */
        private final long work;
        /** Whether {@link #CHOICE} decides (the default tuning) or the call always splits (tests). */
        private final boolean adaptive;
        /** Whether workers compute into scratch (so the caller may steal their chunks): not when the call adds into y. */
        private boolean stealable;
        /** How long the caller waits for a worker's last chunks before computing them itself: a few chunks' time. */
        private final long stealAfterNanos;
        private final OpTimes.Op op;
        private final boolean timed;
        private final AtomicLong loraNanos = new AtomicLong();
        private final AtomicLong allNanos = new AtomicLong();

        Plan(ProjectionModule[] modules, float[] x, int rows, float[] y, int stride, boolean add, int threads, OpTimes.Op op, Tuning tuning) {
            this.stealAfterNanos = tuning.stealAfterNanos();
            this.adaptive = tuning.adaptive();
            this.op = op;
            this.timed = op != null && OpTimes.enabled();
            this.modules = modules;
            this.x = x;
            this.rows = rows;
            this.y = y;
            this.stride = stride;
            this.add = add;
            this.in = modules[0].weights().cols();
            this.u = new float[modules.length][];
            this.ready = new AtomicIntegerArray(modules.length);
            this.aFirst = new int[modules.length];
            this.aEnd = new int[modules.length];
            long bytes = 0;
            boolean bf16 = false;
            for (ProjectionModule m : modules) {
                bytes += check(m);
                bf16 |= m.weights().dtype() == DType.BF16;
            }
            xPairs = bf16 ? VectorKernel.pairsFor(x, rows, in) : null;
            int wanted = bytes * rows < tuning.splitBytes() ? 1 : Math.max(1, threads);
            // chunks: each module's A product by rank rows, then every module's columns, about CHUNK_BYTES each
            java.util.List<int[]> list = new java.util.ArrayList<>();
            for (int i = 0; i < modules.length; i++) {
                ProjectionModule.Lora l = modules[i].lora();
                aFirst[i] = list.size();
                if (l != null) {
                    u[i] = new float[rows * l.rank()];
                    addChunks(list, LORA_A, i, l.rank(), 4, (long) in * Float.BYTES, bytes, wanted, tuning.chunkBytes());
                }
                aEnd[i] = list.size();
            }
            for (int i = 0; i < modules.length; i++) {
                WeightView w = modules[i].weights();
                ProjectionModule.Lora l = modules[i].lora();
                long columnBytes = (long) in * w.dtype().bytes() + (l == null ? 0 : (long) l.rank() * Float.BYTES);
                addChunks(list, COLUMNS, i, w.rows(), granule(), columnBytes, bytes, wanted, tuning.chunkBytes());
            }
            this.count = list.size();
            this.chunks = new int[4 * count];
            for (int c = 0; c < count; c++) {
                System.arraycopy(list.get(c), 0, chunks, 4 * c, 4);
            }
            this.states = new AtomicIntegerArray(count);
            this.parts = Math.min(wanted, count);
            this.work = bytes * rows;
        }

        /** Checks a module against x, y and the first module; its bytes read (weights and LoRA factors). */
        private long check(ProjectionModule m) {
            WeightView w = m.weights();
            if (!fits(w, rows) || w.cols() != in) {
                throw new IllegalArgumentException("FewRowProjection: [" + w.rows() + ", " + w.cols() + "] " + w.dtype() + " at " + rows
                        + " rows beside modules of width " + in);
            }
            if (x.length < (long) rows * in || m.offset() < 0 || m.offset() + w.rows() > stride || y.length < (long) rows * stride) {
                throw new IllegalArgumentException("FewRowProjection: x of " + x.length + " or y of " + y.length + " floats do not fit ["
                        + w.rows() + ", " + in + "] x " + rows + " rows at columns " + m.offset() + " of " + stride);
            }
            if (m.bias() != null && m.bias().length < w.rows()) {
                throw new IllegalArgumentException("FewRowProjection: a bias of " + m.bias().length + " for " + w.rows() + " outputs");
            }
            ProjectionModule.Lora l = m.lora();
            if (l == null) {
                return w.byteSize();
            }
            if (l.a().byteSize() < (long) l.rank() * in * Float.BYTES || l.b().byteSize() < ProjectionModule.Lora.bBytes(w.rows(), l.rank())) {
                throw new IllegalArgumentException("FewRowProjection: LoRA factors of " + l.a().byteSize() + " and " + l.b().byteSize()
                        + " bytes do not fit rank " + l.rank() + " of [" + w.rows() + ", " + in + "]");
            }
            return w.byteSize() + (long) l.rank() * (in + w.rows()) * Float.BYTES;
        }

        /** Chunks over {@code [0, n)} in multiples of {@code granule}, about chunkBytes each (fewer for a huge matrix). */
        private static void addChunks(java.util.List<int[]> list, int kind, int module, int n, int granule, long bytesPerIndex, long total,
                                      int threads, long chunkBytes) {
            if (threads == 1) {
                list.add(new int[] {kind, module, 0, n});
                return;
            }
            long size = Math.max(chunkBytes, total / ((long) threads * MAX_CHUNKS_PER_THREAD)) / bytesPerIndex;
            int step = (int) Math.max(granule, Math.min(n, (size + granule / 2) / granule * granule));
            for (int from = 0; from < n; from += step) {
                list.add(new int[] {kind, module, from, Math.min(n, from + step)});
            }
        }

        void execute() {
            long t = timed ? System.nanoTime() : 0;
            boolean measured = parts > 1 && adaptive;
            int threads = measured && !CHOICE.split() ? 1 : parts;
            stealable = !add && threads > 1;
            long start = System.nanoTime();
            CpuMatmul.workers().run(this, threads);
            if (measured) {
                CHOICE.record(System.nanoTime() - start, work);
            }
            if (timed) {
                long all = allNanos.get();
                OpTimes.split(op, System.nanoTime() - t, all == 0 ? 0 : (double) loraNanos.get() / all);
            }
        }

        @Override
        public void help() {
            boolean inPlace = !stealable || Thread.currentThread() == caller;
            for (int c = next.getAndIncrement(); c < count; c = next.getAndIncrement()) {
                if (inPlace) {
                    if (states.compareAndSet(c, FREE, OWNED)) {
                        inPlace(c);
                    }
                } else if (states.compareAndSet(c, FREE, CLAIMED)) {
                    inScratch(c);
                }
            }
        }

        @Override
        public void finish() {
            long since = System.nanoTime();
            while (done.get() < count) {
                if (stealable && System.nanoTime() - since > stealAfterNanos) {
                    for (int c = 0; c < count; c++) {
                        steal(c);
                    }
                }
                SpinningWorkers.pause(since);
            }
            SpinningWorkers.rethrow(failure);
        }

        /** The caller computes chunk c itself if nobody has or is committing it. */
        private void steal(int c) {
            int s = states.get(c);
            if ((s == FREE || s == CLAIMED) && states.compareAndSet(c, s, OWNED)) {
                inPlace(c);
            }
        }

        /** Chunk c (OWNED by this thread) computed into y or u. */
        private void inPlace(int c) {
            int at = 4 * c;
            int module = chunks[at + 1];
            int from = chunks[at + 2];
            int to = chunks[at + 3];
            boolean loraA = chunks[at] == LORA_A;
            try {
                if (loraA) {
                    ProjectionModule.Lora l = modules[module].lora();
                    loraA(module, from, to, u[module], l.rank(), 0);
                } else {
                    ProjectionModule m = modules[module];
                    columns(module, from, to, new VectorKernel.Out(y, stride, m.offset(), add), -1);
                }
            } catch (Throwable t) {
                fail(t);
            } finally {
                if (loraA) {
                    ready.addAndGet(module, to - from);
                }
                states.set(c, DONE);
                done.incrementAndGet();
            }
        }

        /** Chunk c (CLAIMED by this worker) computed into scratch, then copied into place unless the caller has stolen it. */
        private void inScratch(int c) {
            int at = 4 * c;
            int module = chunks[at + 1];
            int from = chunks[at + 2];
            int to = chunks[at + 3];
            int n = to - from;
            float[] p = SCRATCH.get();
            if (p.length < rows * n) {
                p = new float[rows * n];
                SCRATCH.set(p);
            }
            boolean loraA = chunks[at] == LORA_A;
            Throwable thrown = null;
            boolean complete = true;
            try {
                if (loraA) {
                    loraA(module, from, to, p, n, -from);
                } else {
                    complete = columns(module, from, to, new VectorKernel.Out(p, n, -from, false), c);
                }
            } catch (Throwable t) {
                thrown = t;
            }
            if (!complete || !states.compareAndSet(c, CLAIMED, COMMITTING)) {
                return;
            }
            try {
                if (thrown != null) {
                    fail(thrown);
                } else if (loraA) {
                    int rank = modules[module].lora().rank();
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(p, r * n, u[module], r * rank + from, n);
                    }
                } else {
                    int offset = modules[module].offset() + from;
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(p, r * n, y, r * stride + offset, n);
                    }
                }
            } finally {
                if (loraA) {
                    ready.addAndGet(module, n);
                }
                states.set(c, DONE);
                done.incrementAndGet();
            }
        }

        private void fail(Throwable t) {
            if (failure == null) {
                failure = t;
            }
        }

        /** Rank rows {@code [q0, q1)} of a module's {@code coef * x A^T} into {@code out[r * stride + offset + q]}. */
        private void loraA(int module, int q0, int q1, float[] out, int stride, int offset) {
            long t = timed ? System.nanoTime() : 0;
            ProjectionModule.Lora l = modules[module].lora();
            VectorKernel.multiply(l.a(), in, x, rows, new VectorKernel.Out(out, stride, offset, false), q0, q1);
            float[] c = l.coefs();
            for (int r = 0; r < rows; r++) {
                for (int q = q0; q < q1; q++) {
                    out[r * stride + offset + q] *= c[q];
                }
            }
            if (timed) {
                long d = System.nanoTime() - t;
                loraNanos.addAndGet(d);
                allNanos.addAndGet(d);
            }
        }

        /**
         * Columns {@code [j0, j1)} of a module: product, bias, LoRA update, into target. A worker's chunk ({@code c >= 0})
         * gives up (false) when the caller steals it while it waits for the module's A product.
         */
        private boolean columns(int module, int j0, int j1, VectorKernel.Out target, int c) {
            long t = timed ? System.nanoTime() : 0;
            ProjectionModule m = modules[module];
            WeightView w = m.weights();
            if (w.dtype() == DType.BF16) {
                VectorKernel.multiplyBf16(w.bytes(), in, x, xPairs, rows, target, j0, j1);
            } else {
                VectorKernel.multiply(w.bytes(), in, x, rows, target, j0, j1);
            }
            float[] b = m.bias();
            float[] ya = target.y();
            if (b != null) {
                for (int r = 0; r < rows; r++) {
                    int y0 = r * target.stride() + target.offset();
                    for (int j = j0; j < j1; j++) {
                        ya[y0 + j] += b[j];
                    }
                }
            }
            ProjectionModule.Lora l = m.lora();
            if (l != null) {
                long tl = timed ? System.nanoTime() : 0;
                if (!awaitA(module, c)) {
                    return false;
                }
                VectorKernel.addProduct(u[module], rows, l.rank(), l.b(), new VectorKernel.Out(ya, target.stride(), target.offset(), true), j0, j1);
                if (timed) {
                    loraNanos.addAndGet(System.nanoTime() - tl);
                }
            }
            if (timed) {
                allNanos.addAndGet(System.nanoTime() - t);
            }
            return true;
        }

        /**
         * Waits until a module's u is complete: the caller steals the A chunks still pending; a worker ({@code c >= 0}) waits,
         * giving up (false) if the caller steals its chunk meanwhile.
         */
        private boolean awaitA(int module, int c) {
            int rank = modules[module].lora().rank();
            long since = System.nanoTime();
            while (ready.get(module) < rank) {
                if (c >= 0 && states.get(c) != CLAIMED) {
                    return false;
                }
                if (c < 0 && stealable && System.nanoTime() - since > stealAfterNanos) {
                    for (int a = aFirst[module]; a < aEnd[module]; a++) {
                        steal(a);
                    }
                }
                SpinningWorkers.pause(since);
            }
            return true;
        }
    }
}
