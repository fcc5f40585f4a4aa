package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user gets for a model or adapter of a family the engine does not know, or for an adapter of another
 * family: exit 1 and one line naming the file and what is missing.
 */
class FamilyErrorsTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures").toAbsolutePath();

    private static String oneLineError(MergeCommandTest.Run r) {
        assertEquals(1, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        return err;
    }

    @Test
    void unknownModelTypeNamesTheFileAndTheSupportedTypes(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("neox");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), Files.readString(FIXTURES.resolve("llama/config.json"))
                .replace("\"llama\"", "\"gpt_neox\""));
        Files.copy(FIXTURES.resolve("llama/model.safetensors"), model.resolve("model.safetensors"));
        assertEquals("laem: " + model.resolve("config.json") + ": model_type 'gpt_neox' is not supported (supported: llama, mistral, "
                + "qwen2, qwen3, phi3, gemma2, gemma3_text)", oneLineError(MergeCommandTest.laem("inspect", model.toString())));
    }

    @Test
    void aLlamaAdapterOnAPhi3BaseNamesTheModulePhi3DoesNotHave() {
        Path adapter = FIXTURES.resolve("llama/adapter_a");
        Path base = FIXTURES.resolve("phi3");
        assertEquals("laem: " + adapter.resolve(LoraAdapter.WEIGHTS) + ": module model.layers.0.self_attn.q_proj is not a module of "
                + "the base (" + base + ", phi3: qkv_proj, o_proj, gate_up_proj, down_proj): adapter for another model family?",
                oneLineError(MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", adapter.toString())));
    }

    @Test
    void aPhi3AdapterOnAMistralBaseNamesTheFusedModule() {
        Path adapter = FIXTURES.resolve("phi3/adapter_b");
        Path base = FIXTURES.resolve("mistral");
        assertEquals("laem: " + adapter.resolve(LoraAdapter.WEIGHTS) + ": module model.layers.0.self_attn.qkv_proj is not a module of "
                + "the base (" + base + ", mistral: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj): adapter for another "
                + "model family?", oneLineError(MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", adapter.toString())));
    }

    /** The live bank refuses the same mismatch when factors come from code rather than a checked folder. */
    @Test
    void theLiveBankRefusesModulesTheFamilyDoesNotHave() {
        try (io.laem.engine.model.HfModel hf = io.laem.engine.model.HfModel.open(FIXTURES.resolve("phi3"));
             io.laem.engine.infer.Decoder d = io.laem.engine.infer.Decoder.load(hf)) {
            var modules = LoraAdapter.load(FIXTURES.resolve("llama/adapter_a")).modules().values();
            io.laem.engine.LaemException e = org.junit.jupiter.api.Assertions.assertThrows(io.laem.engine.LaemException.class,
                    () -> d.bank().add("llama-adapter", modules));
            assertEquals("LoRA entry 'llama-adapter': module layers.0.q_proj is not a module of phi3 models (qkv_proj, o_proj, "
                    + "gate_up_proj, down_proj): adapter for another model family?", e.getMessage());
        }
    }

    /** GPT-NeoX / Falcon name their fused attention query_key_value: no template knows it. */
    @Test
    void aTensorOnAModuleNoTemplateKnowsIsNamed(@TempDir Path dir) throws Exception {
        Path adapter = dir.resolve("neox-adapter");
        String module = "base_model.model.model.layers.0.self_attn.query_key_value";
        Files.createDirectories(adapter);
        Files.writeString(adapter.resolve(LoraConfig.FILE), "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, "
                + "\"target_modules\": [\"query_key_value\"]}");
        new SafetensorsWriter().add(module + ".lora_A.weight", DType.F32, new long[] {2, 32}, new float[64])
                .add(module + ".lora_B.weight", DType.F32, new long[] {96, 2}, new float[192]).write(adapter.resolve(LoraAdapter.WEIGHTS));
        assertEquals("laem: " + adapter.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + module + ".lora_A.weight' is not on a module any "
                + "supported family has (q_proj/k_proj/v_proj/o_proj/gate_proj/up_proj/down_proj/qkv_proj/gate_up_proj of a decoder layer)",
                oneLineError(MergeCommandTest.laem("analyze", "--base", FIXTURES.resolve("llama").toString(), "--adapter",
                        adapter.toString())));
    }
}
