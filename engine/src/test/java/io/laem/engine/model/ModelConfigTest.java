package io.laem.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    private static JsonNode json(String s) {
        try {
            return Json.JSON.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static final String MINIMAL = "'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2, "
            + "'num_attention_heads': 4, 'vocab_size': 100";

    private static ModelConfig parse(String body) {
        return ModelConfig.parse("cfg.json", json("{" + body + "}"));
    }

    private static String error(String body) {
        return assertThrows(LaemException.class, () -> parse(body)).getMessage();
    }

    @Test
    void defaultsFollowTransformers() {
        ModelConfig c = parse("'model_type': 'llama', " + MINIMAL);
        assertEquals(4, c.numKvHeads()); // num_key_value_heads defaults to num_attention_heads
        assertEquals(16, c.headDim()); // hidden / heads
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertEquals(List.of(), c.eosTokenIds());
    }

    @Test
    void qwen2HasQkvBiasOnlyAndLlamaAttentionBiasCoversO() {
        ModelConfig q = parse("'model_type': 'qwen2', 'attention_bias': false, " + MINIMAL);
        assertTrue(q.hasBias(ModuleKind.Q_PROJ) && q.hasBias(ModuleKind.K_PROJ) && q.hasBias(ModuleKind.V_PROJ));
        assertFalse(q.hasBias(ModuleKind.O_PROJ));
        assertFalse(q.hasBias(ModuleKind.DOWN_PROJ));
        ModelConfig l = parse("'model_type': 'llama', 'attention_bias': true, " + MINIMAL);
        assertTrue(l.hasBias(ModuleKind.O_PROJ));
        assertFalse(l.hasBias(ModuleKind.UP_PROJ));
        assertFalse(parse("'model_type': 'mistral', 'attention_bias': true, " + MINIMAL).hasBias(ModuleKind.Q_PROJ));
    }

    @Test
    void readsGqaHeadDimEosListAndLlama3Scaling() {
        ModelConfig c = parse("'model_type': 'llama', " + MINIMAL + ", 'num_key_value_heads': 2, 'head_dim': 32, "
                + "'eos_token_id': [5, 7], 'bos_token_id': 1, 'rope_theta': 500000.0, 'tie_word_embeddings': true, "
                + "'rope_scaling': {'rope_type': 'llama3', 'factor': 32.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0, "
                + "'original_max_position_embeddings': 8192}");
        assertEquals(2, c.numKvHeads());
        assertEquals(32, c.headDim());
        assertEquals(List.of(5, 7), c.eosTokenIds());
        assertEquals(1, c.bosTokenId());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(32.0, c.ropeScaling().factor());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(128, ModuleKind.Q_PROJ.outFeatures(c)); // 4 heads x 32
        assertEquals(64, ModuleKind.K_PROJ.outFeatures(c)); // 2 kv heads x 32
        assertEquals(128, ModuleKind.O_PROJ.inFeatures(c));
    }

    @Test
    void readsTransformersV5RopeParameters() {
        ModelConfig c = parse("'model_type': 'qwen3', " + MINIMAL + ", 'rope_parameters': {'rope_type': 'default', 'rope_theta': 1000000.0}");
        assertEquals(1000000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() {
        assertEquals("cfg.json: model_type 'gpt2' is not supported (supported: llama, mistral, qwen2, qwen3)",
                error("'model_type': 'gpt2', " + MINIMAL));
        assertEquals("cfg.json: missing or non-string field 'model_type'", error(MINIMAL));
    }

    @Test
    void badFieldsAreNamed() {
        assertEquals("cfg.json: field 'hidden_size' must be a positive integer, got -1",
                error("'model_type': 'llama', " + MINIMAL.replace("'hidden_size': 64", "'hidden_size': -1")));
        assertEquals("cfg.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3",
                error("'model_type': 'llama', 'num_key_value_heads': 3, " + MINIMAL));
        assertEquals("cfg.json: rope_scaling type 'yarn' is not supported (supported: llama3)",
                error("'model_type': 'llama', 'rope_scaling': {'rope_type': 'yarn', 'factor': 4}, " + MINIMAL));
        assertEquals("cfg.json: field 'mlp_bias' is true: MLP biases are not supported",
                error("'model_type': 'llama', 'mlp_bias': true, " + MINIMAL));
        for (String bad : List.of("'rms_norm_eps': 0", "'rms_norm_eps': -1e-6", "'rms_norm_eps': 1e400", "'rms_norm_eps': 'x'",
                "'rope_theta': 0", "'rope_theta': -1e400", "'max_position_embeddings': 0", "'eos_token_id': 100",
                "'eos_token_id': [1, 'x']", "'eos_token_id': 1.5", "'rope_scaling': {'rope_type': 'llama3', 'factor': -8}",
                "'rope_scaling': {'rope_type': 'llama3', 'low_freq_factor': 1e999}")) {
            String field = bad.substring(1, bad.indexOf('\'', 1));
            String msg = error("'model_type': 'llama', " + bad + ", " + MINIMAL);
            assertTrue(msg.startsWith("cfg.json: field '" + field), bad + " -> " + msg);
        }
        assertEquals("cfg.json: config is not a JSON object", assertThrows(LaemException.class,
                () -> ModelConfig.parse("cfg.json", json("[1]"))).getMessage());
    }

    @Test
    void parameterCountOfATinyLlamaByHand() {
        // hidden 64, inter 128, 2 layers, 4 heads (kv 4, head dim 16), vocab 100, untied
        ModelConfig c = parse("'model_type': 'llama', " + MINIMAL);
        long attn = 4L * 64 * 64;
        long mlp = 3L * 64 * 128;
        long norms = 2L * 64;
        assertEquals(2 * (attn + mlp + norms) + 2L * 100 * 64 + 64, c.parameterCount());
    }
}
