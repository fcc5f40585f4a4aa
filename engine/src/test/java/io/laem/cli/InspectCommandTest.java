package io.laem.cli;

import static io.laem.engine.fixtures.CliRun.laem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.synth.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir
    Path tmp;

    /** Elements of every tensor in the file, counted straight from the safetensors header. */
    private static long elementsInFile(Path model) {
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            return f.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
        }
    }

    @Test
    void modelTable() {
        Path llama = Fixtures.tinyLlama(tmp);
        CliRun r = laem("inspect", llama.toString());
        assertEquals(0, r.code(), r.err());
        // 2 x (q 32x32 + k,v 16x32 + o 32x32 + 3 x 32x64 + 2 norms of 32) + 2 x 96x32 + 32 = 24,736
        assertEquals(24_736, elementsInFile(llama));
        assertEquals(List.of(
                "model         " + llama,
                "architecture  llama",
                "layers        2",
                "hidden size   32 (intermediate 64)",
                "heads         4 (kv 2, head dim 8)",
                "vocabulary    96",
                "dtype         F32",
                "parameters    24,736",
                "tokenizer     none",
                "modules       q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (llama family)"), r.out().lines().toList());
    }

    @Test
    void modelTableShowsTheFamilysModulesAndSlidingLayers() throws Exception {
        Path gemma3 = Path.of("src/test/resources/fixtures/gemma3");
        CliRun r = laem("inspect", gemma3.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("modules       q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (gemma3 family)", lines.get(9));
        assertEquals("attention     sliding window 4 on 1 of 2 layers", lines.get(10));
        CliRun j = laem("inspect", Path.of("src/test/resources/fixtures/phi3").toString(), "--json");
        assertEquals(0, j.code(), j.err());
        JsonNode n = Json.JSON.readTree(j.out());
        assertEquals("phi3", n.get("family").asText());
        assertEquals("[\"qkv_proj\",\"o_proj\",\"gate_up_proj\",\"down_proj\"]", n.get("modules").toString());
        assertEquals(5, n.get("sliding_window").asInt());
        assertEquals(2, n.get("sliding_layers").asInt());
    }

    @Test
    void modelJsonCountsWhatIsInTheFile() throws Exception {
        Path qwen = Fixtures.tinyQwen2(tmp);
        Path bf16 = Fixtures.model(tmp.resolve("bf16"), ModelSpec.tiny("qwen2").withDtype(DType.BF16), 1);
        for (Path m : List.of(qwen, bf16)) {
            CliRun r = laem("inspect", m.toString(), "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode j = Json.JSON.readTree(r.out());
            assertEquals("model", j.get("kind").asText());
            assertEquals("qwen2", j.get("architecture").asText());
            assertEquals(2, j.get("layers").asInt());
            assertEquals(32, j.get("hidden_size").asInt());
            assertEquals(4, j.get("heads").asInt());
            assertEquals(2, j.get("kv_heads").asInt());
            assertEquals(m == qwen ? "F32" : "BF16", j.get("dtype").asText());
            assertTrue(j.get("tied_embeddings").asBoolean());
            // tied, with q/k/v biases: 24,736 - 3,072 (no lm_head) + 2 x 64 (biases) = 21,792
            assertEquals(21_792, j.get("parameters").asLong());
            assertEquals(elementsInFile(m), j.get("parameters").asLong());
        }
    }

    @Test
    void adapterTableWithPatterns() {
        Path base = Fixtures.tinyLlama(tmp);
        Path ad = Fixtures.adapter(tmp.resolve("p"), base, Fixtures.patterned(), 5);
        CliRun r = laem("inspect", ad.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("adapter       " + ad, lines.get(0));
        assertEquals("rank          8", lines.get(1));
        assertEquals("alpha         16", lines.get(2));
        assertEquals("scale         2 (alpha/r)", lines.get(3));
        assertEquals("rank_pattern  {down_proj=4}", lines.get(4));
        assertEquals("alpha_pattern {model.layers.1.self_attn.q_proj=4.0}", lines.get(5));
        assertEquals("targets       q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj", lines.get(6));
        assertEquals("modules       14 in 2 layers (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)", lines.get(7));
        assertTrue(lines.contains("Frobenius norm of each module's delta s*B*A:"));
        assertEquals("layer      q_proj     k_proj     v_proj     o_proj  gate_proj    up_proj  down_proj", lines.get(lines.size() - 3));
        LoraAdapter a = LoraAdapter.load(ad);
        String row1 = lines.get(lines.size() - 1);
        assertTrue(row1.startsWith("1 "), row1);
        String[] cells = row1.trim().split("\\s+");
        int col = 1;
        for (LoraModule m : a.modules().values().stream().filter(m -> m.key().layer() == 1).toList()) {
            assertEquals(frobenius(m), Double.parseDouble(cells[col++]), 1e-3 * frobenius(m), m.key().toString());
        }
    }

    /** The Frobenius norm of s*B*A formed densely, the definition the table's shortcut must match. */
    private static double frobenius(LoraModule m) {
        double sum = 0;
        for (float v : m.denseDelta()) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum);
    }

    @Test
    void adapterJsonHasEveryNormAndTheRsloraScale() throws Exception {
        Path base = Fixtures.tinyQwen2(tmp);
        Path ad = Fixtures.adapter(tmp.resolve("rs"), base, Fixtures.rslora(), 6);
        CliRun r = laem("inspect", ad.toString(), "--json", "--base", base.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.JSON.readTree(r.out());
        assertEquals("adapter", j.get("kind").asText());
        assertEquals(16, j.get("r").asInt());
        assertEquals(16.0, j.get("lora_alpha").asDouble());
        assertTrue(j.get("use_rslora").asBoolean());
        assertEquals(4.0, j.get("scale").asDouble()); // 16 / sqrt(16)
        assertEquals(14, j.get("modules").asInt());
        assertEquals(base.toString(), j.get("validated_against").asText());
        for (LoraModule m : LoraAdapter.load(ad).modules().values()) {
            double got = j.get("delta_norms").get(Integer.toString(m.key().layer())).get(m.key().kind().peftName()).asDouble();
            assertEquals(frobenius(m), got, 1e-5 * got, m.key().toString());
        }
    }

    @Test
    void baseValidationOkAndRefusal() {
        Path base = Fixtures.tinyLlama(tmp);
        Path ad = Fixtures.adapter(tmp.resolve("qv"), base, Fixtures.attentionQv(), 2);
        CliRun ok = laem("inspect", ad.toString(), "--base", base.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("validated     against " + base + ": every module exists and shapes agree"), ok.out());

        Path wide = Fixtures.model(tmp.resolve("wide"), new ModelSpec("llama", 48, 64, 2, 4, 2, 12, 96, false, DType.F32, 1e4), 1);
        CliRun bad = laem("inspect", ad.toString(), "--base", wide.toString());
        assertEquals(1, bad.code());
        assertEquals("", bad.out());
        assertEquals("laem: " + ad.resolve("adapter_model.safetensors") + ": module model.layers.0.self_attn.q_proj is [32 x 32] but the base ("
                + wide + ") has [48 x 48]: adapter for another base?", bad.err().strip());

        CliRun notModel = laem("inspect", ad.toString(), "--base", tmp.resolve("nope").toString());
        assertEquals(1, notModel.code());
        assertEquals("laem: " + tmp.resolve("nope") + ": not a model folder", notModel.err().strip());
    }

    @Test
    void safetensorsFileAndUnknownFolder() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        CliRun r = laem("inspect", base.resolve("model.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(base.resolve("model.safetensors") + ": 21 tensors"), r.out());
        assertTrue(r.out().contains("model.layers.1.mlp.down_proj.weight"));
        JsonNode j = Json.JSON.readTree(laem("inspect", base.resolve("model.safetensors").toString(), "--json").out());
        assertEquals(21, j.get("tensors").size());

        CliRun empty = laem("inspect", tmp.toString());
        assertEquals(1, empty.code());
        assertEquals("laem: " + tmp + ": neither a model folder (config.json) nor an adapter folder (adapter_config.json)", empty.err().strip());
        assertFalse(empty.err().contains("Exception"));
    }
}
