package io.laem.engine.demo;

import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.Scorer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Retain data for adapter training: the base's copying, on characters that are not the adapter's
 * own. Each example copies a string of letters or digits outside the task's {@link DemoTask#domain()},
 * behind a prefix drawn from {@code copy} and every task name (the task's own included). Mixed into an
 * adapter's batches it says "change your characters, leave every other character as the base copies
 * it, whatever the prompt": the adapter becomes selective to its characters rather than to its
 * prompt, and four such adapters can be summed without overwriting each other's characters (the
 * replay / retain-set practice of multi-task and continual fine-tuning). Targets are exact copies,
 * which the base produces on its own (it is trained to copy), so they are on its distribution.
 */
final class Retain {
    static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    static final String DIGITS = "0123456789";

    private Retain() {}

    /** {@code n} retain examples for {@code task}'s adapter. */
    static List<Example> examples(DemoTask task, SplittableRandom rnd, int n) {
        String letters = outside(LETTERS, task.domain());
        String digits = outside(DIGITS, task.domain());
        List<String> prefixes = new ArrayList<>();
        prefixes.add("copy");
        for (DemoTask t : DemoTask.values()) {
            prefixes.add(t.id());
        }
        List<Example> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String prefix = prefixes.get(rnd.nextInt(prefixes.size()));
            boolean useLetters = digits.isEmpty() || (!letters.isEmpty() && rnd.nextBoolean());
            String text = useLetters ? DemoText.draw(rnd, letters, 3, 6) : DemoText.draw(rnd, digits, 3, 5);
            out.add(DemoText.example(prefix, text, text));
        }
        return out;
    }

    /** The share of {@code check} that {@code model} copies exactly (greedy, stopping with EOS). */
    static double kept(Evaluator model, List<Example> check) {
        return check.isEmpty() ? 1 : model.exactMatch(check);
    }

    /** The characters of {@code all} that are not in {@code domain}. */
    static String outside(String all, String domain) {
        StringBuilder sb = new StringBuilder();
        all.chars().filter(c -> domain.indexOf(c) < 0).forEach(c -> sb.append((char) c));
        return sb.toString();
    }
}
