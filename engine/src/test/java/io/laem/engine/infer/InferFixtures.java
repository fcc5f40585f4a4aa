package io.laem.engine.infer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the infer tests' fixture models (tiny llama with Llama-3 rope scaling, qwen2, qwen3; two
 * adapters each; a char-level tokenizer) under src/test/resources/fixtures. Run only on purpose:
 * {@code ./mvnw -o -q -pl engine test -Dtest=InferFixtures -Dlaem.writeFixtures=true}, then
 * {@code python3 engine/src/test/resources/golden/make_golden.py}.
 */
@EnabledIfSystemProperty(named = "laem.writeFixtures", matches = "true")
class InferFixtures {
    /** The fixtures' character set: 88 characters, vocabulary 92. */
    static final String CHARS = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?:;'\"-()+=*/<>\n#@%&_[]";

    static final Path ROOT = Path.of("src/test/resources/fixtures");

    @Test
    void write() throws Exception {
        int vocab = CharTokenizer.vocabSize(CHARS);
        long seed = 11;
        for (String family : List.of("llama", "qwen2", "qwen3")) {
            Path dir = ROOT.resolve(family);
            ModelSpec spec = ModelSpec.tiny(family).withVocab(vocab);
            SyntheticModels.writeModel(dir, spec, seed++);
            if (family.equals("llama")) {
                // Llama-3 scaling with a short original context so all three frequency bands occur
                ObjectNode cfg = (ObjectNode) Json.readTree(dir.resolve("config.json"));
                ObjectNode rs = cfg.putObject("rope_scaling");
                rs.put("rope_type", "llama3");
                rs.put("factor", 8.0);
                rs.put("low_freq_factor", 1.0);
                rs.put("high_freq_factor", 4.0);
                rs.put("original_max_position_embeddings", 64);
                AtomicFiles.writeString(dir.resolve("config.json"), cfg.toPrettyString());
            }
            CharTokenizer.write(dir, CHARS);
            ModelConfig cfg = ModelConfig.read(dir.resolve("config.json"));
            // B scaled up so the adapters move the logits well beyond the tolerance
            SyntheticModels.writeAdapter(dir.resolve("adapter_a"), cfg, AdapterSpec.allLinear(4, 8).withBScale(20), seed++, family);
            SyntheticModels.writeAdapter(dir.resolve("adapter_b"), cfg, AdapterSpec.allLinear(2, 4).withRslora(true).withBScale(20),
                    seed++, family);
        }
    }
}
