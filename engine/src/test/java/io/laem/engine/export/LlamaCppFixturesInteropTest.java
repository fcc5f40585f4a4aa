package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.HfModel;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiny llama (GQA, Llama-3 rope scaling), qwen2 (q/k/v biases, tied embeddings) and qwen3 (q/k
 * norms) fixtures exported as GGUF: llama.cpp's log-probs agree with the engine's to 1e-3 and its
 * greedy completions are the engine's, for the base, each adapter alone (rank 4; rank 2 with rsLoRA)
 * and a merge with per-layer weights.
 */
class LlamaCppFixturesInteropTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final double TOL = 1e-3;
    static final List<String[]> TEXTS = List.of(
            new String[] {"the cat", " sat on the mat."},
            new String[] {"Hello, world", "! How are you?"},
            new String[] {"1 + 2 =", " 3, and 2 * 4 = 8."},
            new String[] {"Q: why?", " A: (because) \"it is\" so."});

    @BeforeAll
    static void peer() {
        var why = LlamaCppPeer.unavailable();
        if (why.isPresent()) {
            System.err.println("LlamaCppFixturesInteropTest SKIPPED: " + why.get());
        }
        assumeTrue(why.isEmpty(), () -> "llama.cpp interop skipped: " + why.orElse(""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void baseAdaptersAndPerLayerMergeAgree(String family, @TempDir Path tmp) {
        Path dir = FIXTURES.resolve(family).toAbsolutePath();
        Path base = tmp.resolve("base.gguf");
        GgufModelExport.write(dir, base, GgmlType.F32);
        try (HfModel m = HfModel.open(dir); Decoder d = Decoder.load(m); HfTokenizer t = HfTokenizer.load(m)) {
            EngineVsLlamaCpp cmp = new EngineVsLlamaCpp(d, t);
            List<long[][]> cases = new ArrayList<>();
            TEXTS.forEach(x -> cases.add(new long[][] {t.encode(x[0]), t.encode(x[1], false)}));
            check(family + " base", cmp.compare(base, List.of(), cases));
            for (String a : List.of("adapter_a", "adapter_b")) {
                Path out = tmp.resolve(a);
                Recipe r = Recipe.of(dir, List.of(new Recipe.AdapterRef(a, dir.resolve(a))));
                ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(out), ProgressListener.NONE, CancellationToken.NONE);
                d.bank().add(a, LoraAdapter.load(dir.resolve(a), a).modules().values());
                d.bank().zeroAll();
                d.bank().setAll(a, 1.0);
                check(family + " " + a + " alone", cmp.compare(base, List.of(out.resolve(GgufLoraFormat.FILE)), cases));
            }
            double[] wa = {0.7, 1.3};
            double[] wb = {1.6, 0.4};
            Recipe r = Recipe.of(dir, List.of(new Recipe.AdapterRef("adapter_a", dir.resolve("adapter_a")),
                    new Recipe.AdapterRef("adapter_b", dir.resolve("adapter_b")))).withPerLayerWeights("adapter_a", wa).withPerLayerWeights("adapter_b", wb);
            Path lora = tmp.resolve("merged-lora");
            Path model = tmp.resolve("merged-model");
            ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(lora), ProgressListener.NONE, CancellationToken.NONE);
            ExportFormats.of("gguf-model:f32").export(r, OutputTarget.folder(model), ProgressListener.NONE, CancellationToken.NONE);
            d.bank().setLayerCoefficients("adapter_a", wa);
            d.bank().setLayerCoefficients("adapter_b", wb);
            check(family + " per-layer merge, GGUF LoRA", cmp.compare(base, List.of(lora.resolve(GgufLoraFormat.FILE)), cases));
            check(family + " per-layer merge, GGUF model", cmp.compare(model.resolve(GgufModelFormat.FILE), List.of(), cases));
        }
    }

    static void check(String what, EngineVsLlamaCpp.Comparison c) {
        System.out.println(what + ": " + c);
        assertTrue(c.maxLogprobError() <= TOL, what + ": log-probs differ by " + c.maxLogprobError());
        assertEquals(0, c.greedyDiffer(), what + ": greedy completions differ, first: " + c.firstDiff());
    }
}
