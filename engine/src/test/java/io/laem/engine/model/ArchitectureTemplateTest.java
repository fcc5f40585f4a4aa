package io.laem.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArchitectureTemplateTest {
    @Test
    void parsesModulePathsWithAnyPrefix() {
        assertEquals(Optional.of(new ModuleKey(3, ModuleKind.DOWN_PROJ)),
                ArchitectureTemplate.parseModulePath("base_model.model.model.layers.3.mlp.down_proj"));
        assertEquals(Optional.of(new ModuleKey(12, ModuleKind.K_PROJ)), ArchitectureTemplate.parseModulePath("model.layers.12.self_attn.k_proj"));
        assertTrue(ArchitectureTemplate.parseModulePath("model.layers.0.mlp.q_proj").isEmpty()); // q_proj lives in self_attn
        assertTrue(ArchitectureTemplate.parseModulePath("model.layers.0.self_attn.up_proj").isEmpty());
        assertTrue(ArchitectureTemplate.parseModulePath("lm_head").isEmpty());
        assertTrue(ArchitectureTemplate.parseModulePath("model.embed_tokens").isEmpty());
    }

    @Test
    void tensorNamesRoundTrip() {
        ArchitectureTemplate t = ArchitectureTemplate.forModelType("qwen2").orElseThrow();
        for (ModuleKind k : ModuleKind.values()) {
            ModuleKey key = new ModuleKey(5, k);
            assertEquals(Optional.of(key), ArchitectureTemplate.parseModulePath(ArchitectureTemplate.modulePath(key)));
        }
        assertEquals("model.layers.5.self_attn.o_proj.weight", t.weight(new ModuleKey(5, ModuleKind.O_PROJ)));
        assertEquals("model.layers.5.mlp.gate_proj.bias", t.bias(new ModuleKey(5, ModuleKind.GATE_PROJ)));
        assertEquals(ArchitectureTemplate.Bias.QKV, t.bias());
    }

    @Test
    void familiesDeclareTheirModulesNormsAndInputs() {
        ArchitectureTemplate phi3 = ArchitectureTemplate.forModelType("phi3").orElseThrow();
        assertEquals(java.util.List.of(ModuleKind.QKV_PROJ), phi3.attentionInputs());
        assertEquals(java.util.List.of(ModuleKind.GATE_UP_PROJ), phi3.mlpInputs());
        assertEquals("model.layers.2.self_attn.qkv_proj.weight", phi3.weight(new ModuleKey(2, ModuleKind.QKV_PROJ)));
        ArchitectureTemplate llama = ArchitectureTemplate.forModelType("llama").orElseThrow();
        assertEquals(java.util.List.of(ModuleKind.Q_PROJ, ModuleKind.K_PROJ, ModuleKind.V_PROJ), llama.attentionInputs());
        // Llama's pre-MLP norm is the tensor HF calls post_attention_layernorm; Gemma has both
        assertEquals("model.layers.0.post_attention_layernorm.weight", llama.norm(ArchitectureTemplate.Norm.PRE_MLP, 0));
        assertEquals(null, llama.norm(ArchitectureTemplate.Norm.POST_ATTENTION, 0));
        ArchitectureTemplate gemma3 = ArchitectureTemplate.forModelType("gemma3_text").orElseThrow();
        assertEquals("model.layers.0.pre_feedforward_layernorm.weight", gemma3.norm(ArchitectureTemplate.Norm.PRE_MLP, 0));
        assertEquals("model.layers.0.post_attention_layernorm.weight", gemma3.norm(ArchitectureTemplate.Norm.POST_ATTENTION, 0));
        assertEquals("model.layers.0.self_attn.k_norm.weight", gemma3.norm(ArchitectureTemplate.Norm.K, 0));
        assertTrue(gemma3.normPlusOne() && gemma3.embeddingScaled());
        assertEquals(Optional.of(new ModuleKey(7, ModuleKind.GATE_UP_PROJ)),
                ArchitectureTemplate.parseModulePath("base_model.model.model.layers.7.mlp.gate_up_proj"));
        assertTrue(ArchitectureTemplate.parseModulePath("model.layers.7.self_attn.gate_up_proj").isEmpty());
    }
}
