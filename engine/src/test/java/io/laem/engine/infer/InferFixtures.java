package io.laem.engine.infer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the infer tests' fixture models (tiny llama with Llama-3 rope scaling, qwen2, qwen3, and the
 * architecture families: mistral with a sliding window, phi3 with fused modules, gemma2, gemma3; two
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
        long seed = 11;
        for (String family : List.of("llama", "qwen2", "qwen3")) {
            seed = write(family, family, seed, cfg -> {
                if (family.equals("llama")) {
                    // Llama-3 scaling with a short original context so all three frequency bands occur
                    ObjectNode rs = cfg.putObject("rope_scaling");
                    rs.put("rope_type", "llama3");
                    rs.put("factor", 8.0);
                    rs.put("low_freq_factor", 1.0);
                    rs.put("high_freq_factor", 4.0);
                    rs.put("original_max_position_embeddings", 64);
                }
            });
        }
        writeFamilies();
    }

    /**
     * The architecture families, each with the options that make it differ, sized so they show within the 11
     * golden tokens: windows of 4-5 keys, soft-caps near the tiny models' score and logit magnitudes.
     */
    @Test
    void writeFamilies() throws Exception {
        long seed = 101;
        seed = write("mistral", "mistral", seed, cfg -> cfg.put("sliding_window", 4));
        seed = write("phi3", "phi3", seed, cfg -> cfg.put("sliding_window", 5));
        seed = write("gemma2", "gemma2", seed, cfg -> {
            cfg.put("query_pre_attn_scalar", 16);
            cfg.put("sliding_window", 4);
            cfg.put("attn_logit_softcapping", 0.1);
            cfg.put("final_logit_softcapping", 0.2);
        });
        write("gemma3", "gemma3_text", seed, cfg -> {
            cfg.put("query_pre_attn_scalar", 12);
            cfg.put("sliding_window", 4);
            cfg.put("sliding_window_pattern", 2);
            cfg.put("rope_theta", 1000000.0);
            cfg.put("rope_local_base_freq", 10000.0);
            ObjectNode rs = cfg.putObject("rope_scaling");
            rs.put("rope_type", "linear");
            rs.put("factor", 8.0);
            cfg.putNull("final_logit_softcapping");
        });
    }

    /** One fixture folder: model, tokenizer, adapter_a (r 4) and adapter_b (r 2, rsLoRA); returns the next seed. */
    private static long write(String dirName, String modelType, long seed, java.util.function.Consumer<ObjectNode> editConfig) {
        int vocab = CharTokenizer.vocabSize(CHARS);
        Path dir = ROOT.resolve(dirName);
        SyntheticModels.writeModel(dir, ModelSpec.tiny(modelType).withVocab(vocab), seed++, editConfig);
        CharTokenizer.write(dir, CHARS);
        ModelConfig cfg = ModelConfig.read(dir.resolve("config.json"));
        // B scaled up so the adapters move the logits well beyond the tolerance
        SyntheticModels.writeAdapter(dir.resolve("adapter_a"), cfg, AdapterSpec.allLinear(4, 8).withBScale(20), seed++, dirName);
        SyntheticModels.writeAdapter(dir.resolve("adapter_b"), cfg, AdapterSpec.allLinear(2, 4).withRslora(true).withBScale(20),
                seed++, dirName);
        return seed;
    }
}
