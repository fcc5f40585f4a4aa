package io.laem.app.core;

import io.laem.engine.model.ModelConfig;
import java.nio.file.Path;

/** The opened base model: its folder and parsed config. */
public record BaseModelInfo(Path dir, ModelConfig config) {
    public String describe() {
        return "%s, %d layers, hidden %d, %,d parameters".formatted(
                config.modelType(), config.numLayers(), config.hiddenSize(), config.parameterCount());
    }
}
