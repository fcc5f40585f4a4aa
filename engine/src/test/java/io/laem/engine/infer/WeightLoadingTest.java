package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.io.DType;
import io.laem.engine.model.HfModel;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights reach NDArrays unchanged: per chunk of rows, from F32 without a heap copy, and from BF16/F16. */
class WeightLoadingTest {
    @Test
    void chunkedLoadingEqualsTheFileForEveryDtype(@TempDir Path dir) {
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Path m = dir.resolve(dt.name());
            SyntheticModels.writeModel(m, ModelSpec.tiny("qwen2").withDtype(dt), 5);
            try (HfModel hf = HfModel.open(m); NDManager nd = NDManager.newBaseManager()) {
                for (String name : hf.weights().names()) {
                    float[] expected = hf.weights().floats(name);
                    for (long chunk : new long[] {100, 1 << 20}) { // 100 bytes: many chunks of rows
                        NDArray a = Decoder.read(nd, hf.weights(), name, DataType.FLOAT32, chunk);
                        assertEquals(new Shape(hf.weights().info(name).shape()), a.getShape(), name);
                        assertArrayEquals(expected, a.toFloatArray(), 0f, dt + " " + name);
                    }
                }
            }
        }
    }

    @Test
    void theFloat32CopyOfAMappedDecoderHoldsTheFilesValues(@TempDir Path dir) {
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Path m = dir.resolve(dt.name());
            SyntheticModels.writeModel(m, ModelSpec.tiny("qwen2").withDtype(dt), 7);
            try (HfModel hf = HfModel.open(m); Decoder mapped = Decoder.load(hf)) {
                assertTrue(mapped.parameters().isEmpty(), "the mapped CPU forward");
                try (Decoder copy = mapped.floatArrays()) {
                    assertEquals(java.util.Set.copyOf(hf.weights().names()), copy.parameters().keySet());
                    for (String name : hf.weights().names()) {
                        NDArray a = copy.parameters().get(name);
                        assertEquals(DataType.FLOAT32, a.getDataType(), name);
                        assertArrayEquals(hf.weights().floats(name), a.toFloatArray(), 0f, dt + " " + name);
                    }
                }
            }
        }
    }
}
