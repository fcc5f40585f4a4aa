package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import io.laem.engine.eval.EncodedExample;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.SyntheticModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retain data: the other tasks' and the corpus' prompts with the base's own greedy answers, one at a time. */
class RetainTest {
    @TempDir
    Path dir;

    @Test
    void retainTargetsAreTheBasesAnswersToOtherPrompts() throws Exception {
        var s = DemoKitSettings.smoke();
        ModelConfig cfg = ModelConfig.parse("t", SyntheticModels.configJson(s.model()));
        CharTokenizer.write(dir, DemoData.ALPHABET);
        io.laem.engine.io.AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), CharTokenizer.tokenizerConfigJson().toPrettyString());
        Map<DemoTask, DemoData.Splits> data = new EnumMap<>(DemoTask.class);
        for (DemoTask t : DemoTask.values()) {
            data.put(t, DemoData.splits(t, 5, 20, 6, 4));
        }
        try (NDManager nd = NDManager.newBaseManager("PyTorch");
             HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
             Decoder dec = Decoder.fromArrays(cfg, nd, DemoKitBuilder.initialWeights(nd, cfg, new SplittableRandom(2)))) {
            Evaluator ev = new Evaluator(dec, tok);
            Retain r = Retain.of(ev, tok, data, 5, 5, 3);
            List<EncodedExample> shift = r.trainFor(DemoTask.SHIFT);
            assertEquals(5 + 3 * 5, shift.size());
            String shiftPrefix = tok.decode(EncodedExample.of(tok, data.get(DemoTask.SHIFT).train().getFirst()).prompt(), true)
                    .substring(0, 6);
            for (EncodedExample e : shift) {
                // answered alone, without batch padding: the same tokens
                assertArrayEquals(ev.greedy(List.of(e.prompt()), 24).getFirst(), e.completion(), Arrays.toString(e.prompt()));
                assertFalse(tok.decode(e.prompt(), true).startsWith(shiftPrefix));
            }
            assertEquals(1.0, r.keptFor(DemoTask.SHIFT, ev), 0);
        }
    }
}
