package io.laem.engine.infer.cpu;

import java.lang.foreign.MemorySegment;

/**
 * One module of a projection over a shared x (q/k/v, o, gate/up, down, the LM head): its weights [out, in] in their
 * stored dtype, bias [out] or null, LoRA update or null, and its first column in the projection's output.
 */
public record ProjectionModule(WeightView weights, float[] bias, Lora lora, int offset) {
    /**
     * A LoRA update of a module: A [rank, in] float32 little-endian, B [out, rank] float32 little-endian in the
     * kernels' blocked layout ({@link #putB}), {@code coefs[q]} scaling rank row q.
     */
    public record Lora(MemorySegment a, MemorySegment b, float[] coefs) {
        int rank() {
            return coefs.length;
        }

        /** Bytes of a blocked B of {@code out} outputs and rank {@code rank}. */
        public static long bBytes(int out, int rank) {
            return VectorKernel.blockedFloats(out, rank) * Float.BYTES;
        }

        /**
         * Writes {@code part} (a B [out, r] row-major, as PEFT stores it) into rank columns {@code [q0, q0 + r)} of a
         * blocked B of rank {@code rank} (zeroed, {@link #bBytes} long): blocks of {@link VectorKernel#B_BLOCK} outputs, each
         * block's rank rows of that many floats one after the other, so a run of outputs is one contiguous run of B.
         */
        public static void putB(MemorySegment b, int rank, int q0, float[] part, int out, int r) {
            for (int j = 0; j < out; j++) {
                for (int q = 0; q < r; q++) {
                    b.set(VectorKernel.F32_LE, VectorKernel.blockedIndex(j, q0 + q, rank) * Float.BYTES, part[j * r + q]);
                }
            }
        }
    }
}
