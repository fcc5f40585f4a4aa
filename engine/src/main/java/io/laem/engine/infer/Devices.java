package io.laem.engine.infer;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.laem.engine.LaemException;

/**
 * {@code --device auto|cpu|gpu}. The build bundles PyTorch's CPU library; a GPU is used when DJL's
 * PyTorch CUDA flavor is installed (see docs/inference.md) and a CUDA device is visible.
 */
public final class Devices {
    private Devices() {}

    public static Device resolve(String name) {
        String n = name == null ? "cpu" : name.toLowerCase(java.util.Locale.ROOT);
        return switch (n) {
            case "cpu" -> Device.cpu();
            case "auto" -> gpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "gpu", "cuda" -> {
                if (gpuCount() == 0) {
                    throw new LaemException("--device gpu: no CUDA GPU is available to PyTorch (this installation has the "
                            + "CPU build of PyTorch " + Djl.pytorch().getVersion()
                            + "; install DJL's CUDA flavor as docs/inference.md describes, or use --device cpu)");
                }
                yield Device.gpu();
            }
            default -> throw new LaemException("--device must be auto, cpu or gpu, got '" + name + "'");
        };
    }

    /**
     * float32 everywhere. bfloat16 aborts the JVM inside DJL 0.35.1's PyTorch JNI (creating or
     * converting to a BFLOAT16 array), and float16 overflows in the residual stream of some bf16-trained
     * models (Qwen2), so half precision is opt-in through {@link Decoder#load(io.laem.engine.model.HfModel,
     * Device, DataType)} with {@code FLOAT16}.
     */
    public static DataType dataTypeFor(Device d) {
        return DataType.FLOAT32;
    }

    private static int gpuCount() {
        return Djl.pytorch().getGpuCount();
    }
}
