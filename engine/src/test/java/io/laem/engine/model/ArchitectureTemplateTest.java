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
            assertEquals(Optional.of(key), ArchitectureTemplate.parseModulePath(t.modulePath(key)));
        }
        assertEquals("model.layers.5.self_attn.o_proj.weight", t.weight(new ModuleKey(5, ModuleKind.O_PROJ)));
        assertEquals("model.layers.5.mlp.gate_proj.bias", t.bias(new ModuleKey(5, ModuleKind.GATE_PROJ)));
        assertEquals(ArchitectureTemplate.Bias.QKV, t.bias());
    }
}
