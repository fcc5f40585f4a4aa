package io.laem.engine.infer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
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
}
