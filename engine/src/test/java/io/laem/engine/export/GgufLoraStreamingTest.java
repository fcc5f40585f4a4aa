package io.laem.engine.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.StreamingExactMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An exact merge exported as GGUF LoRA streams from the mapped inputs ({@link StreamingExactMerge}) and
 * writes the very bytes of the in-memory path (merge, then {@link GgufLoraFormat#write}): adapter.gguf,
 * every group file, the Modelfile and merge-report.json; on the demo kit, every fixture family (llama's
 * q/k row permutation, gemma's query fold, phi3's fused modules), adapters of mixed ranks with rank and
 * alpha patterns, rsLoRA, negative and per-layer weights, and stored dtypes equal to the output's (A copied
 * as stored) or not. A non-finite input is refused as loading refuses it, and nothing is left behind.
 */
class GgufLoraStreamingTest {
    static final Path KIT = Path.of("../resources/demo");

    @TempDir
    Path tmp;

    /** What {@code laem merge --format FORMAT} writes: streamed, and without a merge on the heap. */
    private Path streamed(Recipe r, String format, String name) {
        assertTrue(StreamingExactMerge.applies(r));
        Path out = tmp.resolve(name + "-streamed");
        List<String> messages = new ArrayList<>();
        ExportFormats.of(format).export(r, OutputTarget.folder(out), (d, t, m) -> messages.add(m), CancellationToken.NONE);
        assertTrue(messages.stream().noneMatch(m -> m.startsWith("merging")), "no in-memory merge: " + messages);
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("writing")), "progress while writing: " + messages);
        return out;
    }

    /** The in-memory path: the merge on the heap, then the format's writer. */
    private Path inMemory(Recipe r, String format, String name) {
        Path out = tmp.resolve(name + "-in-memory");
        MergedAdapter m = RecipeMerge.merge(r, ProgressListener.NONE, CancellationToken.NONE);
        ExportFormats.of(format).write(m, r, OutputTarget.folder(out), null, ProgressListener.NONE, CancellationToken.NONE);
        return out;
    }

    private void assertSameFiles(Recipe r, String format, String name, int expectedFiles) throws Exception {
        Path a = streamed(r, format, name);
        Path b = inMemory(r, format, name);
        List<String> files = names(b);
        assertEquals(files, names(a), name + ": files");
        assertEquals(expectedFiles, files.size(), name + ": " + files);
        for (String f : files) {
            assertArrayEquals(Files.readAllBytes(b.resolve(f)), Files.readAllBytes(a.resolve(f)), name + ": " + f);
        }
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(OutputTarget.MARKER)).sorted().toList();
        }
    }

    @Test
    void demoKitSameBytesAsTheInMemoryPathWholeAndPerGroup() throws Exception {
        Recipe r = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        assertSameFiles(r, "gguf-lora", "demo", 3);
        assertSameFiles(r, "gguf-lora:groups=0-0,1-3", "demo-groups", 5);
        assertSameFiles(r.withPerLayerWeights("shift", new double[] {0.5, -1.25, 2.0, 0.0}), "gguf-lora:groups=2", "demo-per-layer", 5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3"})
    void everyFixtureFamilySameBytesAsTheInMemoryPath(String family) throws Exception {
        Recipe r = LlamaCppFixturesInteropTest.perLayerMerge(LlamaCppFixturesInteropTest.FIXTURES.resolve(family).toAbsolutePath());
        assertSameFiles(r, "gguf-lora", family, 3);
        assertSameFiles(r, "gguf-lora:groups=2", family + "-groups", 5);
    }

    @Test
    void mixedRanksPatternsAndWeightsSameBytesForEveryOutputDtype() throws Exception {
        Recipe r = mixedRecipe();
        for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
            assertSameFiles(r.withOutput(new Output(null, d)), "gguf-lora:groups=2", "mixed-" + d, 5);
        }
    }

    @Test
    void adaptersStoredInTheOutputDtypeOrAnotherSameBytes() throws Exception {
        Recipe r = mixedRecipe();
        Recipe converted = Fixtures.storedAs(r, tmp.resolve("stored"), DType.BF16, DType.F16, DType.F64, DType.F32);
        for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
            assertSameFiles(converted.withOutput(new Output(null, d)), "gguf-lora", "converted-" + d, 3);
        }
    }

    @Test
    void aNonFiniteInputIsRefusedAsLoadingRefusesItAndNothingIsWritten() throws Exception {
        Recipe r = mixedRecipe();
        String layer0 = "base_model.model.model.layers.0.self_attn.q_proj.";
        // lora_A is copied as stored when the dtypes agree, decoded otherwise; lora_B is decoded, permuted and scaled
        assertRefused(r, layer0 + "lora_B.weight", 7, Float.NaN, DType.F32, "b-f32");
        assertRefused(r, layer0 + "lora_A.weight", 19, Float.POSITIVE_INFINITY, DType.BF16, "a-bf16");
        assertRefused(r, layer0 + "lora_A.weight", 3, Float.NEGATIVE_INFINITY, DType.F16, "a-f16-into-f32");
    }

    /**
     * A finite input that the output type cannot hold (1e9 in a float32 B, written as F16: infinity) is refused by
     * both paths with a one-line error naming the output file and tensor, and nothing is left behind.
     */
    @Test
    void aFiniteInputThatOverflowsTheOutputTypeIsRefusedAndNothingIsWritten() throws Exception {
        String tensor = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
        Recipe bad = Fixtures.withValue(mixedRecipe(), 0, tensor, 7, 1e9f, DType.F32, tmp.resolve("huge"))
                .withOutput(new Output(null, DType.F16));
        Path out = tmp.resolve("huge-streamed");
        LaemException streamed = assertThrows(LaemException.class, () -> ExportFormats.of("gguf-lora")
                .export(bad, OutputTarget.folder(out), ProgressListener.NONE, CancellationToken.NONE));
        assertTrue(streamed.getMessage().startsWith(out.toString()), streamed.getMessage());
        assertTrue(streamed.getMessage().endsWith(": tensor 'blk.0.attn_q.weight.lora_b' would hold NaN or infinity (stored as F16); "
                + "nothing was written"), streamed.getMessage());
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("huge-streamed")), "no output, no temporary");
        }
        LaemException inMemory = assertThrows(LaemException.class, () -> inMemory(bad, "gguf-lora", "huge"));
        assertTrue(inMemory.getMessage().endsWith(streamed.getMessage().substring(out.toString().length())), inMemory.getMessage());
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("huge-in-memory")), "no output, no temporary");
        }
    }

    /** Adapter 0 of {@code r} stored as {@code stored} with one bad value: both paths refuse it with the same one-line error. */
    private void assertRefused(Recipe r, String tensor, int element, float value, DType stored, String name) throws Exception {
        Path broken = tmp.resolve("broken-" + name);
        Recipe withBad = Fixtures.withValue(r, 0, tensor, element, value, stored, broken);
        Recipe bad = name.endsWith("into-f32") ? withBad : withBad.withOutput(new Output(null, stored));
        Path out = tmp.resolve(name + "-streamed");
        LaemException streamedError = assertThrows(LaemException.class, () -> ExportFormats.of("gguf-lora:groups=2")
                .export(bad, OutputTarget.folder(out), ProgressListener.NONE, CancellationToken.NONE));
        assertEquals(broken.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + tensor + "' contains " + value + " at element " + element,
                streamedError.getMessage());
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(name + "-streamed")), "no output, no temporary");
        }
        LaemException loadError = assertThrows(LaemException.class, () -> inMemory(bad, "gguf-lora:groups=2", name));
        assertEquals(loadError.getMessage(), streamedError.getMessage());
    }

    @Test
    void aCancelledExportLeavesNothingAndAnExistingOutputIsRefusedBeforeTheWork() throws Exception {
        Recipe r = RecipeYaml.read(KIT.resolve("recipe.yaml"));
        CancellationToken cancelled = new CancellationToken();
        cancelled.cancel();
        Path out = tmp.resolve("cancelled");
        assertThrows(CancelledException.class, () -> ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(out), ProgressListener.NONE, cancelled));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
        Path user = Files.createDirectories(tmp.resolve("users-folder"));
        Files.writeString(user.resolve("notes.txt"), "mine");
        List<String> messages = new ArrayList<>();
        assertThrows(LaemException.class, () -> ExportFormats.of("gguf-lora").export(r, OutputTarget.folder(user), (d, t, m) -> messages.add(m),
                CancellationToken.NONE));
        assertEquals(List.of(), messages, "refused before the work");
        assertEquals(List.of("notes.txt"), names(user));
    }

    /** {@link Fixtures#mixedRecipe} on a tiny llama: ranks 2 to 16 per module, rank and alpha patterns, rsLoRA, weights of every kind. */
    private Recipe mixedRecipe() {
        return Fixtures.mixedRecipe(tmp.resolve("adapters"), Fixtures.tinyLlama(tmp));
    }
}
