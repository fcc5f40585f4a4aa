package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;

import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.CharTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The kit's task data: per task, train/validation/test examples drawn from one seeded generator.
 * Test and validation prompts are distinct and never appear in training, so a score on them is
 * never memorisation; training examples may repeat (a small task has few distinct prompts).
 */
public final class DemoData {
    /** Every character the demo text uses: the tokenizer's alphabet. */
    public static final String ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789:=+.,-?\n";

    /** Chat template of the kit: user text passes through unchanged, so task prompts work as typed. */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}{% if message['role'] == 'assistant' %}"
            + "{{ message['content'] }}{{ eos_token }}{% else %}{{ message['content'] }}{% endif %}{% endfor %}";

    private DemoData() {}

    public static int vocabSize() {
        return CharTokenizer.vocabSize(ALPHABET);
    }

    /** Splits of one task, in the order train, validation, test. */
    public record Splits(List<Example> train, List<Example> validation, List<Example> test) {
        public Map<String, List<Example>> byName() {
            Map<String, List<Example>> m = new LinkedHashMap<>();
            m.put("train", train);
            m.put("validation", validation);
            m.put("test", test);
            return m;
        }
    }

    /** Draws test first, then validation, then training examples, skipping any prompt already used. */
    public static Splits splits(DemoTask task, long seed, int train, int validation, int test) {
        SplittableRandom rnd = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (task.ordinal() + 1)));
        Set<String> seen = new HashSet<>();
        List<Example> te = draw(task, rnd, seen, test, true);
        List<Example> va = draw(task, rnd, seen, validation, true);
        List<Example> tr = draw(task, rnd, seen, train, false);
        return new Splits(tr, va, te);
    }

    private static List<Example> draw(DemoTask task, SplittableRandom rnd, Set<String> seen, int n, boolean distinct) {
        List<Example> out = new ArrayList<>(n);
        int tries = 0;
        while (out.size() < n) {
            Example e = task.sample(rnd);
            if (distinct ? seen.add(e.prompt()) : !seen.contains(e.prompt())) {
                out.add(e);
            } else if (++tries > 100 * n) {
                throw new IllegalStateException(task.id() + ": not enough distinct examples for " + n);
            }
        }
        return out;
    }

    /** Writes {@code tasks/<task>/<split>.jsonl} and {@code tasks.yaml} under a kit folder. */
    public static void write(Path kit, Map<DemoTask, Splits> data) {
        for (Map.Entry<DemoTask, Splits> e : data.entrySet()) {
            e.getValue().byName().forEach((split, ex) -> Jsonl.write(kit.resolve("tasks").resolve(e.getKey().id()).resolve(split + ".jsonl"), ex));
        }
        TaskSuite.writeStandard(kit.resolve("tasks.yaml"), data.keySet().stream().map(DemoTask::id).toList());
    }
}
