package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.laem.engine.infer.cpu.CpuMatmul;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Small float32 tensors (LoRA factors) copied once into memory the CPU kernels ({@link CpuMatmul}) read. */
final class TensorMemory {
    private TensorMemory() {}

    /** A float32 CPU tensor's values (row-major, whatever its strides) copied into memory freed with the segment; null when the kernels cannot read it. */
    static MemorySegment copyOf(NDArray a) {
        if (!CpuMatmul.modulePresent() || a.getDataType() != DataType.FLOAT32 || a.getDevice().isGpu()) {
            return null;
        }
        float[] v = a.toFloatArray();
        MemorySegment s = Arena.ofAuto().allocate((long) v.length * Float.BYTES, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return s;
    }
}
