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
        assertEquals("cfg.json: model_type 'gpt2' is not supported (supported: llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text)",
                error("'model_type': 'gpt2', " + MINIMAL));
        assertEquals("cfg.json: missing or non-string field 'model_type'", error(MINIMAL));
    }

    @Test
    void badFieldsAreNamed() {
        assertEquals("cfg.json: field 'hidden_size' must be a positive integer, got -1",
                error("'model_type': 'llama', " + MINIMAL.replace("'hidden_size': 64", "'hidden_size': -1")));
        assertEquals("cfg.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3",
                error("'model_type': 'llama', 'num_key_value_heads': 3, " + MINIMAL));
        assertEquals("cfg.json: rope_scaling type 'yarn' is not supported (supported: llama3, linear)",
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

    private static List<Boolean> sliding(ModelConfig c) {
        return c.slidingLayers();
    }

    @Test
    void mistralSlidesEveryLayerUnlessTheWindowIsNull() {
        ModelConfig set = parse("'model_type': 'mistral', 'sliding_window': 8, " + MINIMAL);
        assertEquals(8, set.slidingWindow());
        assertEquals(List.of(true, true), sliding(set));
        // MistralConfig's default is 4096; v0.2+ configs say null
        assertEquals(4096, parse("'model_type': 'mistral', " + MINIMAL).slidingWindow());
        ModelConfig none = parse("'model_type': 'mistral', 'sliding_window': null, " + MINIMAL);
        assertEquals(0, none.slidingWindow());
        assertEquals(List.of(false, false), sliding(none));
        // HF's Mistral ignores layer_types (with a warning)
        assertEquals(List.of(true, true), sliding(parse("'model_type': 'mistral', 'sliding_window': 8, "
                + "'layer_types': ['full_attention', 'full_attention'], " + MINIMAL)));
        // llama has no sliding window, whatever the config says
        assertEquals(0, parse("'model_type': 'llama', 'sliding_window': 8, " + MINIMAL).slidingWindow());
    }

    @Test
    void qwenSlidesFromMaxWindowLayersOnlyWithUseSlidingWindow() {
        assertEquals(0, parse("'model_type': 'qwen2', 'sliding_window': 16, 'max_window_layers': 1, " + MINIMAL).slidingWindow());
        ModelConfig on = parse("'model_type': 'qwen2', 'use_sliding_window': true, 'sliding_window': 16, 'max_window_layers': 1, " + MINIMAL);
        assertEquals(16, on.slidingWindow());
        assertEquals(List.of(false, true), sliding(on));
        // the default max_window_layers (28) leaves both layers full
        assertEquals(List.of(false, false), sliding(parse("'model_type': 'qwen3', 'use_sliding_window': true, " + MINIMAL)));
        // explicit layer_types win
        assertEquals(List.of(true, false), sliding(parse("'model_type': 'qwen2', 'use_sliding_window': true, "
                + "'layer_types': ['sliding_attention', 'full_attention'], " + MINIMAL)));
    }

    @Test
    void gemmaLayerTypesScaleSoftcapsAndLocalRope() {
        String gemma = "'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 7, 'num_attention_heads': 4, "
                + "'num_key_value_heads': 1, 'head_dim': 32, 'vocab_size': 100, ";
        ModelConfig g2 = parse("'model_type': 'gemma2', " + gemma + "'query_pre_attn_scalar': 144, 'attn_logit_softcapping': 50.0, "
                + "'final_logit_softcapping': 30.0, 'sliding_window': 4096");
        assertEquals(List.of(true, false, true, false, true, false, true), sliding(g2)); // even layers slide
        assertEquals(1 / 12.0, g2.attentionScale(), 1e-15);
        assertEquals(50.0, g2.attentionSoftcap());
        assertEquals(30.0, g2.finalSoftcap());
        assertEquals(Activation.GELU_TANH, g2.activation());
        assertTrue(g2.tieWordEmbeddings()); // Gemma ties by default
        ModelConfig g3 = parse("'model_type': 'gemma3_text', " + gemma + "'sliding_window': 512, 'rope_theta': 1000000.0, "
                + "'rope_local_base_freq': 10000.0, 'attn_logit_softcapping': 50.0, "
                + "'rope_scaling': {'rope_type': 'linear', 'factor': 8.0}");
        assertEquals(List.of(true, true, true, true, true, false, true), sliding(g3)); // pattern 6: every sixth is full
        assertEquals(0.0, g3.attentionSoftcap()); // HF's Gemma 3 attention does not apply it
        assertEquals(1 / Math.sqrt(64), parse("'model_type': 'gemma3_text', " + gemma + "'query_pre_attn_scalar': 64")
                .attentionScale(), 1e-15);
        // Gemma3TextConfig's default query_pre_attn_scalar is 256, not head_dim
        assertEquals(1 / Math.sqrt(256), parse("'model_type': 'gemma3_text', " + gemma + "'rms_norm_eps': 1e-6").attentionScale(), 1e-15);
        assertEquals(1 / Math.sqrt(32), parse("'model_type': 'llama', " + gemma + "'query_pre_attn_scalar': 256").attentionScale(), 1e-15);
        assertEquals(10000.0, g3.ropeTheta(0));
        assertNull(g3.ropeScaling(0)); // local layers: default rope
        assertEquals(1000000.0, g3.ropeTheta(5));
        assertEquals("linear", g3.ropeScaling(5).type());
        assertEquals(List.of(ModuleKind.Q_PROJ, ModuleKind.K_PROJ, ModuleKind.V_PROJ, ModuleKind.O_PROJ, ModuleKind.GATE_PROJ,
                ModuleKind.UP_PROJ, ModuleKind.DOWN_PROJ), g3.modules());
    }

    @Test
    void gemma3ReadsTransformersV5PerLayerTypeRopeParameters() {
        ModelConfig c = parse("'model_type': 'gemma3_text', " + MINIMAL + ", 'layer_types': ['sliding_attention', 'full_attention'], "
                + "'rope_parameters': {'full_attention': {'rope_type': 'linear', 'factor': 8.0, 'rope_theta': 1000000.0}, "
                + "'sliding_attention': {'rope_type': 'default', 'rope_theta': 10000.0}}");
        assertEquals(10000.0, c.ropeTheta(0));
        assertEquals(1000000.0, c.ropeTheta(1));
        assertEquals(8.0, c.ropeScaling(1).factor());
    }

    @Test
    void phi3HasFusedModules() {
        ModelConfig c = parse("'model_type': 'phi3', " + MINIMAL + ", 'num_key_value_heads': 2, 'sliding_window': 2047");
        assertEquals(List.of(ModuleKind.QKV_PROJ, ModuleKind.O_PROJ, ModuleKind.GATE_UP_PROJ, ModuleKind.DOWN_PROJ), c.modules());
        assertEquals((4 + 2 * 2) * 16, ModuleKind.QKV_PROJ.outFeatures(c));
        assertEquals(2 * 128, ModuleKind.GATE_UP_PROJ.outFeatures(c));
        assertEquals(List.of(true, true), sliding(c));
        assertFalse(c.hasBias(ModuleKind.QKV_PROJ));
        // the same weights as llama's seven modules: one fused matrix each for q/k/v and gate/up
        ModelConfig l = parse("'model_type': 'llama', " + MINIMAL + ", 'num_key_value_heads': 2");
        assertEquals(l.parameterCount(), c.parameterCount());
    }

    @Test
    void unsupportedFamilyOptionsAreNamed() {
        assertEquals("cfg.json: field 'partial_rotary_factor' is 0.75: partial rotary embeddings are not supported (only 1.0)",
                error("'model_type': 'phi3', 'partial_rotary_factor': 0.75, " + MINIMAL));
        assertEquals("cfg.json: field 'hidden_activation' is 'relu': not supported (supported: silu, gelu_pytorch_tanh)",
                error("'model_type': 'gemma2', 'hidden_activation': 'relu', " + MINIMAL));
        assertEquals("cfg.json: field 'layer_types' has 1 entries for 2 layers",
                error("'model_type': 'gemma3_text', 'layer_types': ['full_attention'], " + MINIMAL));
        assertEquals("cfg.json: rope_scaling type 'longrope' is not supported (supported: llama3, linear)",
                error("'model_type': 'phi3', 'rope_scaling': {'type': 'longrope', 'short_factor': [1], 'long_factor': [1]}, " + MINIMAL));
        assertEquals("cfg.json: field 'use_bidirectional_attention' is true: only causal decoders are supported",
                error("'model_type': 'gemma3_text', 'use_bidirectional_attention': true, " + MINIMAL));
    }
}
