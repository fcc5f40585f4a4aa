package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import io.laem.engine.infer.cpu.FewRowMatmul;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Float32 tensors as memory segments for {@link FewRowMatmul}: in place, or copied once. */
final class TensorMemory {
    private TensorMemory() {}

    /**
     * The bytes of a float32 CPU tensor in place (valid while the tensor is open); null when the kernel
     * cannot read it (no Vector API module, another type or device). Only for tensors contiguous by
     * construction, as the decoder's own weights are (DJL hands a strided tensor's bytes out through a
     * contiguous temporary, which would not be the tensor's memory).
     */
    static MemorySegment inPlace(NDArray a) {
        if (!readable(a) || !(a instanceof PtNDArray pt)) {
            return null;
        }
        ByteBuffer b = pt.toByteBuffer(true);
        // a direct buffer of the tensor's size is the tensor's memory; anything else would be a copy
        return b.isDirect() && b.capacity() == a.size() * Float.BYTES ? MemorySegment.ofBuffer(b) : null;
    }

    /** A float32 CPU tensor's values (row-major, whatever its strides) copied into memory freed with the segment; null as above. */
    static MemorySegment copyOf(NDArray a) {
        if (!readable(a)) {
            return null;
        }
        float[] v = a.toFloatArray();
        MemorySegment s = Arena.ofAuto().allocate((long) v.length * Float.BYTES, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return s;
    }

    /** The kernel runs (the module is present) and reads this tensor's type on this device. */
    private static boolean readable(NDArray a) {
        return FewRowMatmul.modulePresent() && a.getDataType() == DataType.FLOAT32 && !a.getDevice().isGpu();
    }
}
