package io.laem.engine.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.synth.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
    private static final String Q0 = "base_model.model.model.layers.0.self_attn.q_proj";
    private static final String CONFIG = "{\"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"q_proj\", \"v_proj\"]}";

    @TempDir
    Path tmp;

    /** An adapter folder from a config and tensors given as name -> [rows, cols] (values 0.1). */
    private Path adapter(String name, String config, Map<String, long[]> tensors) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve(LoraConfig.FILE), config);
        SafetensorsWriter w = new SafetensorsWriter();
        tensors.forEach((n, shape) -> {
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            float[] v = new float[(int) count];
            java.util.Arrays.fill(v, 0.1f);
            w.add(n, DType.F32, shape, v);
        });
        w.write(dir.resolve(LoraAdapter.WEIGHTS));
        return dir;
    }

    private static Map<String, long[]> qPair(long r) {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(Q0 + ".lora_A.weight", new long[] {r, 32});
        m.put(Q0 + ".lora_B.weight", new long[] {32, r});
        return m;
    }

    private String loadError(Path dir) {
        return assertThrows(LaemException.class, () -> LoraAdapter.load(dir)).getMessage();
    }

    @Test
    void loadsFactorsWithScaleAndShape() throws IOException {
        Path dir = adapter("ok", CONFIG, qPair(2));
        LoraAdapter a = LoraAdapter.load(dir);
        assertEquals("ok", a.name());
        LoraModule m = a.modules().get(new ModuleKey(0, ModuleKind.Q_PROJ));
        assertEquals(2, m.rank());
        assertEquals(32, m.in());
        assertEquals(32, m.out());
        assertEquals(2.0, m.scale());
        assertEquals(java.util.List.of(0), a.layers());
        // the adapter-name form PEFT uses in memory is accepted too
        Map<String, long[]> named = new LinkedHashMap<>();
        named.put(Q0 + ".lora_A.default.weight", new long[] {2, 32});
        named.put(Q0 + ".lora_B.default.weight", new long[] {32, 2});
        assertEquals(1, LoraAdapter.load(adapter("named", CONFIG, named)).modules().size());
    }

    @Test
    void adapterForAnotherBaseIsRefusedNamingFileAndModule() {
        Path base = Fixtures.tinyLlama(tmp);
        Path ad = Fixtures.adapter(tmp.resolve("a"), base, Fixtures.attentionQv(), 1);
        LoraAdapter a = LoraAdapter.load(ad);
        a.validateAgainst(Fixtures.config(base), base);

        ModelSpec wide = new ModelSpec("llama", 48, 64, 2, 4, 2, 12, 96, false, DType.F32, 10000.0);
        Path other = Fixtures.model(tmp.resolve("wide"), wide, 1);
        ModelConfig oc = Fixtures.config(other);
        String msg = assertThrows(LaemException.class, () -> a.validateAgainst(oc, other)).getMessage();
        assertEquals(ad.resolve(LoraAdapter.WEIGHTS) + ": module model.layers.0.self_attn.q_proj is [32 x 32] but the base ("
                + other + ") has [48 x 48]: adapter for another base?", msg);

        Path shallow = Fixtures.model(tmp.resolve("shallow"), ModelSpec.tiny("llama").withLayers(1), 1);
        msg = assertThrows(LaemException.class, () -> a.validateAgainst(Fixtures.config(shallow), shallow)).getMessage();
        assertEquals(ad.resolve(LoraAdapter.WEIGHTS) + ": module model.layers.1.self_attn.q_proj is past the base model's 1 layers ("
                + shallow + "): adapter for another base?", msg);
    }

    @Test
    void doraLoraBiasAndEmbeddingLoraAreRefused() throws IOException {
        Map<String, long[]> dora = qPair(2);
        dora.put(Q0 + ".lora_magnitude_vector", new long[] {32});
        Path d = adapter("dora", CONFIG, dora);
        assertEquals(d.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_magnitude_vector': DoRA adapters are not supported",
                loadError(d));

        Path dc = adapter("doracfg", CONFIG.replace("{", "{\"use_dora\": true, "), qPair(2));
        assertTrue(loadError(dc).startsWith(dc.resolve(LoraConfig.FILE) + ": field 'use_dora': DoRA adapters are not supported"));

        Map<String, long[]> bias = qPair(2);
        bias.put(Q0 + ".lora_B.bias", new long[] {32});
        Path b = adapter("bias", CONFIG, bias);
        assertEquals(b.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_B.bias': LoRA bias is not supported", loadError(b));

        Path bc = adapter("biascfg", CONFIG.replace("{", "{\"bias\": \"all\", "), qPair(2));
        assertEquals(bc.resolve(LoraConfig.FILE) + ": field 'bias' is 'all': LoRA bias training is not supported (only 'none')", loadError(bc));

        Map<String, long[]> emb = new LinkedHashMap<>();
        emb.put("base_model.model.model.embed_tokens.lora_embedding_A", new long[] {2, 96});
        emb.put("base_model.model.model.embed_tokens.lora_embedding_B", new long[] {32, 2});
        Path e = adapter("emb", CONFIG, emb);
        assertEquals(e.resolve(LoraAdapter.WEIGHTS) + ": tensor 'base_model.model.model.embed_tokens.lora_embedding_A': embedding LoRA is not supported",
                loadError(e));
    }

    @Test
    void inconsistentAdaptersAreRefusedWithTheirOwnMessages() throws IOException {
        Path w = adapter("rank", CONFIG, qPair(3));
        assertEquals(w.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_A.weight' has rank 3 but adapter_config.json gives 2 for "
                + "model.layers.0.self_attn.q_proj", loadError(w));

        Map<String, long[]> half = new LinkedHashMap<>();
        half.put(Q0 + ".lora_A.weight", new long[] {2, 32});
        Path h = adapter("half", CONFIG, half);
        assertEquals(h.resolve(LoraAdapter.WEIGHTS) + ": module 'model.layers.0.self_attn.q_proj' has only one of lora_A and lora_B", loadError(h));

        Map<String, long[]> bRank = qPair(2);
        bRank.put(Q0 + ".lora_B.weight", new long[] {32, 3});
        Path br = adapter("brank", CONFIG, bRank);
        assertEquals(br.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_B.weight' has shape [32, 3] but lora_A has rank 2", loadError(br));

        Path nt = adapter("untargeted", CONFIG.replace("\"q_proj\", ", ""), qPair(2));
        assertEquals(nt.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_A.weight' is on model.layers.0.self_attn.q_proj, "
                + "which the target_modules/layers_to_transform of adapter_config.json do not cover", loadError(nt));

        Map<String, long[]> head = new LinkedHashMap<>();
        head.put("base_model.model.lm_head.lora_A.weight", new long[] {2, 32});
        head.put("base_model.model.lm_head.lora_B.weight", new long[] {96, 2});
        Path lm = adapter("head", CONFIG, head);
        assertEquals(lm.resolve(LoraAdapter.WEIGHTS) + ": tensor 'base_model.model.lm_head.lora_A.weight' is not on a module any supported "
                + "family has (q_proj/k_proj/v_proj/o_proj/gate_proj/up_proj/down_proj/qkv_proj/gate_up_proj of a decoder layer)", loadError(lm));

        Map<String, long[]> saved = qPair(2);
        saved.put("base_model.model.lm_head.weight", new long[] {96, 32});
        Path sv = adapter("saved", CONFIG, saved);
        assertEquals(sv.resolve(LoraAdapter.WEIGHTS) + ": tensor 'base_model.model.lm_head.weight' is not a LoRA factor "
                + "(modules_to_save and other extras are not supported)", loadError(sv));

        Path none = adapter("none", CONFIG, Map.of());
        assertEquals(none.resolve(LoraAdapter.WEIGHTS) + ": no LoRA factors found", loadError(none));

        Path noWeights = Files.createDirectories(tmp.resolve("noweights"));
        Files.writeString(noWeights.resolve(LoraConfig.FILE), CONFIG);
        assertEquals(noWeights + ": missing adapter_model.safetensors", loadError(noWeights));
        assertEquals(tmp.resolve("nope") + ": not an adapter folder", loadError(tmp.resolve("nope")));
    }

    @Test
    void nonFiniteFactorsAreRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("nan"));
        Files.writeString(dir.resolve(LoraConfig.FILE), CONFIG);
        float[] a = new float[64];
        a[5] = Float.NaN;
        new SafetensorsWriter().allowNonFinite().add(Q0 + ".lora_A.weight", DType.F32, new long[] {2, 32}, a)
                .add(Q0 + ".lora_B.weight", DType.F32, new long[] {32, 2}, new float[64]).write(dir.resolve(LoraAdapter.WEIGHTS));
        assertEquals(dir.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + Q0 + ".lora_A.weight' contains NaN at element 5", loadError(dir));
    }
}
