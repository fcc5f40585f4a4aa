package io.laem.engine.infer;

import ai.djl.Device;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import java.nio.file.Path;

/**
 * A base model loaded for inference with its tokenizer. What goes into its LoRA bank, and with
 * which coefficients, is the live merge's job ({@code io.laem.engine.live.LiveMerge}).
 */
public final class InferenceModel implements AutoCloseable {
    private final Path baseDir;
    private final Decoder decoder;
    private final HfTokenizer tokenizer;

    private InferenceModel(Path baseDir, Decoder decoder, HfTokenizer tokenizer) {
        this.baseDir = baseDir;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
    }

    public static InferenceModel open(Path baseDir, Device device) {
        try (HfModel hf = HfModel.open(baseDir)) {
            HfTokenizer tok = HfTokenizer.load(hf);
            try {
                return new InferenceModel(baseDir, Decoder.load(hf, device, Devices.dataTypeFor(device)), tok);
            } catch (RuntimeException e) {
                tok.close();
                throw e;
            }
        }
    }

    public Path baseDir() {
        return baseDir;
    }

    public Decoder decoder() {
        return decoder;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return decoder.config();
    }

    @Override
    public void close() {
        decoder.close();
        tokenizer.close();
    }
}
