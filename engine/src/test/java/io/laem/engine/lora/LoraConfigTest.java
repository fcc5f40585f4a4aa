package io.laem.engine.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import org.junit.jupiter.api.Test;

/**
 * Expected values worked out by hand from PEFT's rules (peft/utils/other.py get_pattern_key:
 * first key in dict order with re.match(rf"(.*\.)?({key})$", name); tuners_utils.py
 * check_target_module_exists; lora/layer.py update_layer: scaling alpha/r or alpha/sqrt(r)).
 */
class LoraConfigTest {
    private static final ModuleKey Q0 = new ModuleKey(0, ModuleKind.Q_PROJ);
    private static final ModuleKey Q1 = new ModuleKey(1, ModuleKind.Q_PROJ);
    private static final ModuleKey Q11 = new ModuleKey(11, ModuleKind.Q_PROJ);
    private static final ModuleKey K0 = new ModuleKey(0, ModuleKind.K_PROJ);
    private static final ModuleKey V0 = new ModuleKey(0, ModuleKind.V_PROJ);
    private static final ModuleKey UP0 = new ModuleKey(0, ModuleKind.UP_PROJ);
    private static final ModuleKey DOWN1 = new ModuleKey(1, ModuleKind.DOWN_PROJ);

    static LoraConfig cfg(String body) {
        try {
            return LoraConfig.parse("adapter_config.json", Json.JSON.readTree(("{" + body + "}").replace('\'', '"')));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static String error(String body) {
        return assertThrows(LaemException.class, () -> cfg(body)).getMessage();
    }

    @Test
    void scaleIsAlphaOverRankOrOverSqrtRankWithRslora() {
        assertEquals(2.0, cfg("'r': 8, 'lora_alpha': 16, 'target_modules': ['q_proj']").scaleOf(Q0));
        assertEquals(4.0, cfg("'r': 16, 'lora_alpha': 16, 'use_rslora': true, 'target_modules': ['q_proj']").scaleOf(Q0));
        assertEquals(1.0, cfg("'r': 8, 'target_modules': ['q_proj']").scaleOf(Q0)); // lora_alpha defaults to 8
    }

    @Test
    void patternKeysMatchTheEndOfTheNameAtADot() {
        LoraConfig c = cfg("'r': 8, 'lora_alpha': 16, 'target_modules': 'all-linear', "
                + "'rank_pattern': {'layers.1.self_attn.q_proj': 2, 'proj': 3, 'down_proj': 4}, 'alpha_pattern': {'q_proj|v_proj': 32}");
        assertEquals(2, c.rankOf(Q1));
        assertEquals(8, c.rankOf(Q11)); // "layers.1." does not match "layers.11."
        assertEquals(8, c.rankOf(Q0)); // and not layer 0
        assertEquals(8, c.rankOf(UP0)); // "proj" is not a dotted suffix of "up_proj"
        assertEquals(4, c.rankOf(DOWN1));
        assertEquals(32.0, c.alphaOf(Q0)); // a key is a regex
        assertEquals(32.0, c.alphaOf(V0));
        assertEquals(16.0, c.alphaOf(K0));
        assertEquals(16.0, c.scaleOf(Q1)); // 32 / 2: rank and alpha patterns apply independently
        assertEquals(4.0, c.scaleOf(V0)); // 32 / 8
        assertEquals(4.0, c.scaleOf(DOWN1)); // 16 / 4
    }

    @Test
    void firstMatchingKeyInFileOrderWins() {
        assertEquals(4, cfg("'r': 8, 'target_modules': ['q_proj'], 'rank_pattern': {'q_proj': 4, 'model.layers.1.self_attn.q_proj': 2}")
                .rankOf(Q1));
        assertEquals(2, cfg("'r': 8, 'target_modules': ['q_proj'], 'rank_pattern': {'model.layers.1.self_attn.q_proj': 2, 'q_proj': 4}")
                .rankOf(Q1));
    }

    @Test
    void caretKeysMatchOnlyFromTheStart() {
        LoraConfig c = cfg("'r': 8, 'target_modules': ['q_proj'], 'rank_pattern': {'^model.layers.0.self_attn.q_proj': 2, '^layers.1.self_attn.q_proj': 3}");
        assertEquals(2, c.rankOf(Q0));
        assertEquals(8, c.rankOf(Q1));
    }

    @Test
    void rsloraWithPatterns() {
        LoraConfig c = cfg("'r': 16, 'lora_alpha': 8, 'use_rslora': true, 'target_modules': 'all-linear', "
                + "'rank_pattern': {'down_proj': 4}, 'alpha_pattern': {'down_proj': 6}");
        assertEquals(3.0, c.scaleOf(DOWN1)); // 6 / sqrt(4)
        assertEquals(2.0, c.scaleOf(Q0)); // 8 / sqrt(16)
    }

    @Test
    void targetListMatchesNamesOrDottedSuffixes() {
        LoraConfig c = cfg("'r': 4, 'target_modules': ['q_proj', 'v_proj', 'model.layers.0.mlp.up_proj']");
        assertTrue(c.targets(Q0) && c.targets(V0) && c.targets(UP0));
        assertFalse(c.targets(K0));
        assertFalse(c.targets(new ModuleKey(1, ModuleKind.UP_PROJ)));
        assertFalse(cfg("'r': 4, 'target_modules': ['proj']").targets(Q0));
        assertTrue(cfg("'r': 4, 'target_modules': ['self_attn.q_proj']").targets(Q0));
    }

    @Test
    void targetStringIsAFullMatchRegex() {
        assertFalse(cfg("'r': 4, 'target_modules': 'q_proj'").targets(Q0)); // must match the whole name
        LoraConfig c = cfg("'r': 4, 'target_modules': '.*\\\\.layers\\\\.1\\\\..*(q|v)_proj'");
        assertTrue(c.targets(Q1));
        assertFalse(c.targets(Q0));
        LoraConfig all = cfg("'r': 4, 'target_modules': 'all-linear'");
        for (ModuleKind k : ModuleKind.values()) {
            assertTrue(all.targets(new ModuleKey(3, k)));
        }
    }

    @Test
    void layersToTransformFiltersListTargets() {
        LoraConfig c = cfg("'r': 4, 'target_modules': ['q_proj', 'model.layers.0.mlp.up_proj'], 'layers_to_transform': [1]");
        assertTrue(c.targets(Q1));
        assertFalse(c.targets(Q0));
        assertTrue(c.targets(UP0)); // a full name in the list bypasses the layer filter, as in PEFT
        assertTrue(cfg("'r': 4, 'target_modules': ['q_proj'], 'layers_to_transform': 0").targets(Q0));
        assertFalse(cfg("'r': 4, 'target_modules': ['q_proj'], 'layers_to_transform': 0").targets(Q1));
        assertTrue(cfg("'r': 4, 'target_modules': ['q_proj'], 'layers_to_transform': []").targets(Q1)); // empty: all
        assertTrue(cfg("'r': 4, 'target_modules': ['q_proj'], 'layers_to_transform': [1], 'layers_pattern': 'layers'").targets(Q1));
        assertFalse(cfg("'r': 4, 'target_modules': ['q_proj'], 'layers_to_transform': [1], 'layers_pattern': 'h'").targets(Q1));
        assertEquals("adapter_config.json: field 'layers_to_transform' cannot be used when 'target_modules' is a string (as in PEFT)",
                error("'r': 4, 'target_modules': 'all-linear', 'layers_to_transform': [1]"));
    }

    @Test
    void excludedAndSavedModulesAreNotTargeted() {
        LoraConfig c = cfg("'r': 4, 'target_modules': 'all-linear', 'exclude_modules': ['k_proj']");
        assertFalse(c.targets(K0));
        assertTrue(c.targets(Q0));
        LoraConfig r = cfg("'r': 4, 'target_modules': 'all-linear', 'exclude_modules': '.*\\\\.mlp\\\\..*'");
        assertFalse(r.targets(UP0));
        assertTrue(r.targets(Q0));
        LoraConfig s = cfg("'r': 4, 'target_modules': 'all-linear', 'modules_to_save': ['lm_head', 'mlp']");
        assertFalse(s.targets(UP0));
        assertTrue(s.targets(Q0));
    }

    @Test
    void fanInFanOutIsReadButChangesNothing() {
        LoraConfig c = cfg("'r': 8, 'lora_alpha': 16, 'fan_in_fan_out': true, 'target_modules': ['q_proj']");
        assertTrue(c.fanInFanOut());
        assertEquals(2.0, c.scaleOf(Q0));
    }

    @Test
    void unsupportedVariantsAreRefusedByName() {
        String t = "'r': 8, 'target_modules': ['q_proj'], ";
        assertEquals("adapter_config.json: field 'use_dora': DoRA adapters are not supported (their magnitude vector cannot be merged as a low-rank delta)",
                error(t + "'use_dora': true"));
        assertEquals("adapter_config.json: field 'bias' is 'all': LoRA bias training is not supported (only 'none')", error(t + "'bias': 'all'"));
        assertEquals("adapter_config.json: field 'bias' is 'lora_only': LoRA bias training is not supported (only 'none')",
                error(t + "'bias': 'lora_only'"));
        assertEquals("adapter_config.json: field 'lora_bias': a bias on lora_B is not supported (only bias-free LoRA)", error(t + "'lora_bias': true"));
        assertEquals("adapter_config.json: field 'use_qalora' is set: this LoRA variant is not supported (plain LoRA only)",
                error(t + "'use_qalora': true"));
        assertEquals("adapter_config.json: field 'alora_invocation_tokens' is set: this LoRA variant is not supported (plain LoRA only)",
                error(t + "'alora_invocation_tokens': [1, 2]"));
        assertEquals("adapter_config.json: peft_type 'IA3' is not supported (only LORA)", error(t + "'peft_type': 'IA3'"));
        // the same fields at their defaults are fine
        cfg(t + "'use_dora': false, 'bias': 'none', 'lora_bias': false, 'use_qalora': false, 'alora_invocation_tokens': null, "
                + "'target_parameters': [], 'layer_replication': null");
    }

    @Test
    void malformedFieldsAreNamed() {
        assertEquals("adapter_config.json: field 'r' must be a positive integer, got 0", error("'r': 0, 'target_modules': ['q_proj']"));
        assertEquals("adapter_config.json: field 'r' must be a positive integer, got null", error("'target_modules': ['q_proj']"));
        assertEquals("adapter_config.json: field 'target_modules' is missing", error("'r': 4"));
        assertEquals("adapter_config.json: field 'target_modules' is not a valid regex: (q", error("'r': 4, 'target_modules': '(q'"));
        assertEquals("adapter_config.json: field 'lora_alpha' must be a finite number above 0, got \"x\"", error("'r': 4, 'lora_alpha': 'x', 'target_modules': ['q_proj']"));
        assertEquals("adapter_config.json: field 'rank_pattern.q_proj' must be a positive integer, got -1",
                error("'r': 4, 'target_modules': ['q_proj'], 'rank_pattern': {'q_proj': -1}"));
    }

    @Test
    void nonFiniteOrNonPositiveNumbersAreRefusedNamingTheField() {
        for (String alpha : new String[] {"0", "-16", "1e400", "-1e400", "'16'"}) {
            assertTrue(error("'r': 8, 'lora_alpha': " + alpha + ", 'target_modules': ['q_proj']")
                    .startsWith("adapter_config.json: field 'lora_alpha' must be a finite number above 0"), alpha);
        }
        for (String r : new String[] {"0", "-4", "4.5", "4294967304", "1e400"}) {
            assertTrue(error("'r': " + r + ", 'target_modules': ['q_proj']").startsWith("adapter_config.json: field 'r' must be a positive integer"), r);
        }
        assertTrue(error("'r': 8, 'target_modules': ['q_proj'], 'rank_pattern': {'q_proj': 4294967300}")
                .startsWith("adapter_config.json: field 'rank_pattern.q_proj' must be a positive integer"));
        assertTrue(error("'r': 8, 'target_modules': ['q_proj'], 'alpha_pattern': {'q_proj': 0}")
                .startsWith("adapter_config.json: field 'alpha_pattern.q_proj' must be a finite number above 0"));
        assertTrue(error("'r': 8, 'target_modules': ['q_proj'], 'alpha_pattern': {'q_proj': -1e400}")
                .startsWith("adapter_config.json: field 'alpha_pattern.q_proj' must be a finite number above 0"));
        assertTrue(error("'r': 8, 'target_modules': ['q_proj'], 'alpha_pattern': [1]")
                .startsWith("adapter_config.json: field 'alpha_pattern' must map module patterns to numbers"));
        assertTrue(error("'r': 8, 'target_modules': ['q_proj'], 'layers_pattern': '('")
                .startsWith("adapter_config.json: field 'layers_pattern' is not a valid regex"));
    }

    @Test
    void nanInTheFileIsNamedAsNaN(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("adapter_config.json");
        java.nio.file.Files.writeString(f, "{\"r\": 8, \"lora_alpha\": NaN, \"target_modules\": [\"q_proj\"]}");
        String msg = assertThrows(LaemException.class, () -> LoraConfig.read(f)).getMessage();
        assertEquals(f + ": key 'lora_alpha' is NaN, which is NaN or infinity: numbers must be finite", msg);
    }
}
