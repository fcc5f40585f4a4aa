package io.laem.engine.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed exact merge writes the very bytes of the materialized one (plan, concatenation,
 * writer): adapter_config.json, adapter_model.safetensors and merge-report.json, for adapters of
 * different ranks, targets, rank/alpha patterns, rsLoRA, layer subsets, negative and per-layer
 * weights, a supplied shared adapter, stored dtypes other than the output's; and it refuses
 * non-finite inputs as loading does, leaving no output.
 */
class StreamingExactMergeTest {
    @TempDir
    Path tmp;

    private Path streamed(Recipe r, String name) {
        Path out = tmp.resolve(name + "-streamed");
        StreamingExactMerge.run(r, out, ProgressListener.NONE, CancellationToken.NONE);
        return out;
    }

    private Path materialized(Recipe r, String name) {
        Path out = tmp.resolve(name + "-materialized");
        MergedAdapter m = RecipeMerge.merge(r, ProgressListener.NONE, CancellationToken.NONE);
        MergeWriter.writeAdapter(out, m, r, r.output().dtype());
        return out;
    }

    private void assertSameFiles(Recipe r, String name) throws Exception {
        assertTrue(StreamingExactMerge.applies(r));
        Path a = streamed(r, name);
        Path b = materialized(r, name);
        for (String f : List.of(LoraConfig.FILE, LoraAdapter.WEIGHTS, MergeWriter.REPORT)) {
            assertArrayEquals(Files.readAllBytes(b.resolve(f)), Files.readAllBytes(a.resolve(f)), name + ": " + f);
        }
        try (var s = Files.list(a); var m = Files.list(b)) {
            assertEquals(m.count(), s.count(), name + ": files");
        }
    }

    @Test
    void sameBytesAsTheMaterializedMergeForEveryOutputDtype() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = Fixtures.mixedRecipe(tmp.resolve("adapters"), base);
        for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
            assertSameFiles(r.withOutput(new Output(null, d)), "mixed-" + d);
        }
    }

    @Test
    void sameBytesWithASharedAdapterAndPerGroupLayerWeights() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Path sharedDir = Fixtures.adapter(tmp.resolve("mixed"), base, Fixtures.patterned(), 5);
        Recipe r = Fixtures.mixedRecipe(tmp.resolve("adapters"), base)
                .withShared(new Shared(Shared.Mode.ADAPTER, 8, sharedDir))
                .withPerGroupWeights(Recipe.SHARED, new double[] {-0.5, 2.0}, new double[] {0.75, -3.0});
        assertSameFiles(r, "shared");
    }

    @Test
    void sameBytesFromAdaptersStoredInOtherDtypes() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = Fixtures.mixedRecipe(tmp.resolve("adapters"), base);
        Recipe converted = Fixtures.storedAs(r, tmp.resolve("stored"), DType.BF16, DType.F16, DType.F64);
        for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
            assertSameFiles(converted.withOutput(new Output(null, d)), "converted-" + d);
        }
    }

    @Test
    void aNonFiniteInputIsRefusedNamingFileTensorAndElementAndNothingIsWritten() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        Recipe r = Fixtures.mixedRecipe(tmp.resolve("adapters"), base);
        String layer1 = "base_model.model.model.layers.1.mlp.up_proj.";
        // lora_A is copied without decoding when the dtypes agree, lora_B is decoded and scaled
        assertRefused(r, layer1 + "lora_B.weight", 5, Float.NaN, DType.F32, "b-f32");
        assertRefused(r, layer1 + "lora_A.weight", 17, Float.POSITIVE_INFINITY, DType.F32, "a-f32");
        assertRefused(r, layer1 + "lora_A.weight", 63, Float.NEGATIVE_INFINITY, DType.BF16, "a-bf16");
        assertRefused(r, layer1 + "lora_A.weight", 2, Float.NaN, DType.F16, "a-f16");
    }

    /** Adapter 2 of {@code r} stored as {@code stored} with one bad value: both paths refuse it with the same one-line error. */
    private void assertRefused(Recipe r, String tensor, int element, float value, DType stored, String name) throws Exception {
        Path broken = tmp.resolve("broken-" + name);
        Recipe withBad = Fixtures.withValue(r, 2, tensor, element, value, stored, broken).withOutput(new Output(null, stored));
        LaemException streamedError = assertThrows(LaemException.class, () -> streamed(withBad, name));
        assertEquals(broken.resolve(LoraAdapter.WEIGHTS) + ": tensor '" + tensor + "' contains " + value + " at element " + element,
                streamedError.getMessage());
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(name + "-streamed")), "no output, no temporary");
        }
        LaemException loadError = assertThrows(LaemException.class, () -> materialized(withBad, name));
        assertEquals(loadError.getMessage(), streamedError.getMessage());
    }

    @Test
    void appliesOnlyToExactMergesWithoutRedundancyRemovalOrConsensus() {
        Recipe r = Recipe.of(tmp, List.of());
        assertTrue(StreamingExactMerge.applies(r));
        assertFalse(StreamingExactMerge.applies(r.withOutput(new Output(4, DType.F32))));
        assertFalse(StreamingExactMerge.applies(r.withShared(new Shared(Shared.Mode.CONSENSUS, 2, null))));
        assertFalse(StreamingExactMerge.applies(r.withRedundancy(new Redundancy(Redundancy.Strategy.TIES, 0.5, 1, Redundancy.Sign.TOTAL, 0))));
        assertTrue(StreamingExactMerge.applies(r.withWeight("x", Schedule.constant(-1))));
    }
}
