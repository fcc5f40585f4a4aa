package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Retain data: copies of characters outside the adapter's task, behind every prefix. */
class RetainTest {
    @Test
    void retainExamplesCopyOnlyOtherTasksCharactersBehindAnyPrefix() {
        for (DemoTask task : DemoTask.values()) {
            List<Example> ex = Retain.examples(task, new SplittableRandom(4), 400);
            assertEquals(400, ex.size());
            Set<String> prefixes = new HashSet<>();
            boolean letters = false;
            boolean digits = false;
            for (Example e : ex) {
                String prefix = e.prompt().substring(0, e.prompt().indexOf(':'));
                prefixes.add(prefix);
                String text = e.prompt().substring(prefix.length() + 2, e.prompt().length() - 2);
                assertEquals(" " + text + ".", e.completion(), e.toString());
                for (char c : text.toCharArray()) {
                    assertTrue(task.domain().indexOf(c) < 0, task.id() + ": " + e);
                    letters |= Character.isLetter(c);
                    digits |= Character.isDigit(c);
                }
            }
            assertEquals(Set.of("copy", "shift", "mirror", "nines", "spell"), prefixes, task.id());
            assertTrue(letters && digits, task.id());
        }
        assertEquals(Retain.examples(DemoTask.NINES, new SplittableRandom(9), 20), Retain.examples(DemoTask.NINES, new SplittableRandom(9), 20));
        assertEquals("nopqrstuvwxyz", Retain.outside(Retain.LETTERS, DemoTask.SHIFT.domain()));
    }
}
