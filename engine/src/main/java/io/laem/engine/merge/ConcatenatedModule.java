package io.laem.engine.merge;

import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.lora.MappedAdapter;
import io.laem.engine.model.ModuleKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One module of an exact merge as files store it, produced chunk by chunk from its terms wherever
 * their factors lie (a memory-mapped adapter, or a factor on the heap): {@code A' = [A_1; ...; A_T]}
 * ([rank, in]) and {@code B' = [f_1 B_1 | ... | f_T B_T]} ([out, rank]), the delta being
 * {@code scale * B' A'}. The one owner of the concatenation's float32 arithmetic for every writer that
 * streams it (the PEFT safetensors file, GGUF LoRA files): the same bytes as {@link
 * io.laem.engine.linalg.LowRank#concatenate} followed by the writer's encoding.
 */
public record ConcatenatedModule(ModuleKey key, int rank, int in, int out, double scale, List<Term> terms) {
    /** Elements decoded, checked and encoded per step, so that each chunk stays in cache. */
    static final int CHUNK = 1 << 14;

    public ConcatenatedModule {
        terms = List.copyOf(terms);
    }

    /** One term's factors and the factor {@code f} that multiplies its B. */
    public sealed interface Term {
        int rank();

        double factor();

        /** Decodes elements {@code [from, from + n)} of A ([rank, in]) into {@code out[at..]}, refusing NaN and infinity. */
        void readA(long from, float[] out, int at, int n);

        /** As {@link #readA}, of B ([out, rank]). */
        void readB(long from, float[] out, int at, int n);

        /** A's elements {@code [from, from + n)} as stored, when they are stored as {@code dtype} (checked finite); else null. */
        MemorySegment storedA(DType dtype, long from, int n);
    }

    /** A module of a memory-mapped adapter, its B times {@code factor} (the recipe's weight times the adapter's scale). */
    public record Mapped(MappedAdapter source, MappedAdapter.Module module, double factor) implements Term {
        @Override
        public int rank() {
            return module.rank();
        }

        @Override
        public void readA(long from, float[] out, int at, int n) {
            source.read(module.a(), from, out, at, n);
        }

        @Override
        public void readB(long from, float[] out, int at, int n) {
            source.read(module.b(), from, out, at, n);
        }

        @Override
        public MemorySegment storedA(DType dtype, long from, int n) {
            return module.a().dtype() == dtype ? source.finiteBytes(module.a(), from, n) : null;
        }
    }

    /** Factors on the heap (already checked finite when they were loaded), B as it is. */
    public record Heap(int rank, float[] a, float[] b) implements Term {
        @Override
        public double factor() {
            return 1.0;
        }

        @Override
        public void readA(long from, float[] out, int at, int n) {
            System.arraycopy(a, Math.toIntExact(from), out, at, n);
        }

        @Override
        public void readB(long from, float[] out, int at, int n) {
            System.arraycopy(b, Math.toIntExact(from), out, at, n);
        }

        @Override
        public MemorySegment storedA(DType dtype, long from, int n) {
            return null;
        }
    }

    /** A module on the heap (a merge's result) as a single term: its factors written as they are. */
    public static ConcatenatedModule of(LoraModule m) {
        return new ConcatenatedModule(m.key(), m.rank(), m.in(), m.out(), m.scale(), List.of(new Heap(m.rank(), m.a(), m.b())));
    }

    /**
     * Pushes A' to the sink, in order; a term's stretch stored as {@code stored} (null: none) is handed over
     * encoded, as it is, since decoding and encoding would give the same bytes.
     */
    public void writeA(DType stored, Scratch scratch, SafetensorsWriter.FloatSink sink) throws IOException {
        float[] buf = scratch.array(0, CHUNK);
        for (Term t : terms) {
            long count = (long) t.rank() * in;
            for (long from = 0; from < count; from += CHUNK) {
                int n = (int) Math.min(CHUNK, count - from);
                MemorySegment bytes = stored == null ? null : t.storedA(stored, from, n);
                if (bytes != null) {
                    sink.acceptEncoded(bytes);
                } else {
                    t.readA(from, buf, 0, n);
                    sink.accept(buf, 0, n);
                }
            }
        }
    }

    /** Pushes B' to the sink as it is: {@link #writeB(double, int, IntUnaryOperator, Scratch, SafetensorsWriter.FloatSink)} with no factor or reordering. */
    public void writeB(Scratch scratch, SafetensorsWriter.FloatSink sink) throws IOException {
        writeB(1.0, 0, null, scratch, sink);
    }

    /**
     * Pushes B' to the sink, a block of rows at a time, each value times {@code factor} as
     * {@code (float) (factor * v)} unless it is 1. With {@code groupRows > 0} output row {@code r} is B' row
     * {@code sourceRow(r)}, which must lie in the same group of {@code groupRows} rows (e.g. llama.cpp's q/k
     * heads); blocks then hold whole groups.
     */
    public void writeB(double factor, int groupRows, IntUnaryOperator sourceRow, Scratch scratch, SafetensorsWriter.FloatSink sink)
            throws IOException {
        int rows = Math.max(1, CHUNK / rank);
        if (groupRows > 0) {
            rows = Math.max(1, rows / groupRows) * groupRows;
        }
        float[] in = scratch.array(0, rows * rank);
        float[] block = scratch.array(1, rows * rank);
        for (int o0 = 0; o0 < out; o0 += rows) {
            int n = Math.min(rows, out - o0);
            int off = 0;
            for (Term t : terms) {
                int r = t.rank();
                t.readB((long) o0 * r, in, 0, n * r);
                scale(in, n * r, t.factor());
                for (int i = 0; i < n; i++) {
                    int src = groupRows > 0 ? sourceRow.applyAsInt(o0 + i) - o0 : i;
                    System.arraycopy(in, src * r, block, i * rank + off, r);
                }
                off += r;
            }
            scale(block, n * rank, factor);
            sink.accept(block, 0, n * rank);
        }
    }

    /** Two float arrays reused from module to module by one writer (one thread), so that writing allocates next to nothing. */
    public static final class Scratch {
        private final float[][] arrays = new float[2][];

        float[] array(int i, int n) {
            if (arrays[i] == null || arrays[i].length < n) {
                arrays[i] = new float[Math.max(n, CHUNK)];
            }
            return arrays[i];
        }
    }

    /** {@code v[i] = (float) (f * v[i])}, the concatenation's arithmetic, in one loop the JIT vectorizes; nothing when f is 1. */
    private static void scale(float[] v, int n, double f) {
        if (f == 1.0) {
            return; // (float) (1.0 * v) == v
        }
        for (int i = 0; i < n; i++) {
            v[i] = (float) (f * v[i]);
        }
    }
}
