package io.laem.engine.model;

import io.laem.engine.LaemException;
import io.laem.engine.io.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Hugging Face model folder: config, memory-mapped weights, tokenizer files. Checks at open that
 * every tensor the config implies is present with the right shape.
 */
public final class HfModel implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final WeightStore weights;

    private HfModel(Path dir, ModelConfig config, WeightStore weights) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
    }

    public static HfModel open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new LaemException(dir + ": not a model folder");
        }
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        WeightStore weights = WeightStore.open(dir);
        HfModel m = new HfModel(dir, config, weights);
        try {
            m.checkShapes();
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        return m;
    }

    /** True when the folder looks like a model (has config.json), not an adapter. */
    public static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }

    private void checkShapes() {
        ArchitectureTemplate t = config.template();
        ModelConfig c = config;
        expect(t.embedTokens(), c.vocabSize(), c.hiddenSize());
        expect(t.finalNorm(), c.hiddenSize());
        if (!c.tieWordEmbeddings()) {
            expect(t.lmHead(), c.vocabSize(), c.hiddenSize());
        }
        for (int l = 0; l < c.numLayers(); l++) {
            for (ArchitectureTemplate.Norm norm : t.norms().keySet()) {
                expect(t.norm(norm, l), norm.perHead() ? c.headDim() : c.hiddenSize());
            }
            for (ModuleKind k : c.modules()) {
                ModuleKey key = new ModuleKey(l, k);
                expect(t.weight(key), k.outFeatures(c), k.inFeatures(c));
                if (c.hasBias(k)) {
                    expect(t.bias(key), k.outFeatures(c));
                }
            }
        }
    }

    private void expect(String name, long... shape) {
        TensorInfo info = weights.find(name).orElseThrow(() -> new LaemException(dir + ": missing tensor '" + name + "'"));
        if (!java.util.Arrays.equals(info.shape(), shape)) {
            throw new LaemException(dir + ": tensor '" + name + "' has shape " + info.shapeString() + ", config implies "
                    + java.util.Arrays.toString(shape));
        }
        if (!info.dtype().isFloat()) {
            throw new LaemException(dir + ": tensor '" + name + "' has dtype " + info.dtype() + ", expected a float type");
        }
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public WeightStore weights() {
        return weights;
    }

    public Optional<Path> tokenizerJson() {
        Path p = dir.resolve("tokenizer.json");
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    public Optional<Path> tokenizerConfigJson() {
        Path p = dir.resolve("tokenizer_config.json");
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    /** The dtype of the embedding, taken as the model's storage dtype. */
    public String storageDtype() {
        return weights.info(config.template().embedTokens()).dtype().name();
    }

    @Override
    public void close() {
        weights.close();
    }
}
