package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Retain data: the general corpus and the other tasks' training examples, never the task's own. */
class RetainTest {
    @Test
    void retainExamplesAreTheCorpusAndTheOtherTasks() {
        Map<DemoTask, DemoData.Splits> data = new EnumMap<>(DemoTask.class);
        for (DemoTask t : DemoTask.values()) {
            data.put(t, DemoData.splits(t, 5, 50, 6, 4));
        }
        for (DemoTask task : DemoTask.values()) {
            List<Example> ex = Retain.examples(task, data, new SplittableRandom(4), 600);
            assertEquals(600, ex.size());
            Set<String> keywords = new HashSet<>();
            int corpus = 0;
            for (Example e : ex) {
                String keyword = e.prompt().substring(0, e.prompt().indexOf(':'));
                keywords.add(keyword);
                assertTrue(!keyword.equals(task.id()), task.id() + ": " + e);
                boolean isTask = false;
                for (DemoTask t : DemoTask.values()) {
                    isTask |= data.get(t).train().contains(e);
                }
                corpus += isTask ? 0 : 1;
            }
            Set<String> expected = new HashSet<>(Set.of("copy", "next", "flip", "comp", "word", "shift", "mirror", "nines", "spell"));
            expected.remove(task.id());
            assertEquals(expected, keywords, task.id());
            assertTrue(corpus > 240 && corpus < 360, task.id() + ": " + corpus + " corpus examples of 600");
        }
        assertEquals(Retain.examples(DemoTask.NINES, data, new SplittableRandom(9), 20),
                Retain.examples(DemoTask.NINES, data, new SplittableRandom(9), 20));
    }
}
