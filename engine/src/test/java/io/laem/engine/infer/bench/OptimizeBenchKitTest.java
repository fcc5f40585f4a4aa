package io.laem.engine.infer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The optimizer benchmark's tasks: about 40 tokens of the bench model's character tokenizer, each a mapping of a word. */
class OptimizeBenchKitTest {
    @Test
    void examplesAreAboutFortyTokensOfTheTokenizersCharactersAndMapTheirWord() {
        assertEquals("jihgfedcba", OptimizeBenchKit.map("reverse", "abcdefghij".toCharArray()));
        assertEquals("bcdefghija", OptimizeBenchKit.map("shift", "abcdefghiz".toCharArray()));
        assertEquals("aabcdeffgz", OptimizeBenchKit.map("sort", "zfaebfcdga".toCharArray()));
        assertEquals("badcfehgji", OptimizeBenchKit.map("swap", "abcdefghij".toCharArray()));
        for (String task : OptimizeBenchKit.TASKS) {
            List<Example> ex = OptimizeBenchKit.examples(task, 48, new SplittableRandom(1));
            assertEquals(48, ex.size());
            for (Example e : ex) {
                // one token per character, plus BOS
                int tokens = 1 + e.prompt().length() + e.completion().length();
                assertTrue(tokens >= 36 && tokens <= 44, tokens + ": " + e);
                assertTrue((e.prompt() + e.completion()).matches("[a-z ]+"), e.toString());
                String word = e.prompt().split(" ")[3];
                assertEquals(" " + OptimizeBenchKit.map(task, word.toCharArray()), e.completion());
            }
        }
    }

    /** Another size goes to its own folder: the default kit's files (and a run of it) are left as they were. */
    @Test
    void otherSizesLeaveTheDefaultKitAlone(@org.junit.jupiter.api.io.TempDir Path cache) throws Exception {
        // a tiny model in place of the benchmark's (ensure writes a model only where none is)
        Path model = cache.resolve("qwen3-0.6b-bf16").resolve("model");
        Files.createDirectories(model);
        try (var files = Files.list(Path.of("src/test/resources/fixtures/qwen3"))) {
            for (Path f : files.toList()) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        OptimizeBenchKit.Files standard = OptimizeBenchKit.ensure("qwen3-0.6b", DType.BF16, cache, OptimizeBenchKit.DEFAULT_VALIDATION,
                OptimizeBenchKit.DEFAULT_TEST, line -> {});
        Path validation = standard.recipe().resolveSibling("tasks/sort/validation.jsonl");
        byte[] before = Files.readAllBytes(validation);
        OptimizeBenchKit.Files small = OptimizeBenchKit.ensure("qwen3-0.6b", DType.BF16, cache, 4, 2, line -> {});
        assertEquals(cache.resolve("qwen3-0.6b-bf16/optimize/recipe.yaml"), standard.recipe());
        assertEquals(cache.resolve("qwen3-0.6b-bf16/optimize-v4-t2/recipe.yaml"), small.recipe());
        assertEquals(4, Files.readAllLines(small.recipe().resolveSibling("tasks/sort/validation.jsonl")).size());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(validation)), "the default kit's validation set is unchanged");
        assertEquals(OptimizeBenchKit.DEFAULT_VALIDATION, Files.readAllLines(validation).size());
    }
}
