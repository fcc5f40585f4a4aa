package io.laem.engine.infer.cpu;

import java.lang.foreign.MemorySegment;

/**
 * One module of a projection over a shared x (q/k/v, o, gate/up, down, the LM head): its weights [out, in] in their
 * stored dtype, bias [out] or null, LoRA update or null, and its first column in the projection's output.
 */
public record ProjectionModule(WeightView weights, float[] bias, Lora lora, int offset) {
    /** A LoRA update of a module: A [rank, in] and B^T [rank, out] float32 little-endian, {@code coefs[q]} scaling rank row q. */
    public record Lora(MemorySegment a, MemorySegment bTransposed, float[] coefs) {
        int rank() {
            return coefs.length;
        }
    }
}
