package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The base model's training text, in the shared prompt shape: copying ({@code "copy: x =" -> " x."})
 * over letters, digits, digit words and sums (60 %), and each task's mapping under its skill keyword
 * ({@code "next: badge =" -> " cbehf."}, 10 % each). The base thus knows the alphabet, the words, the
 * format and the four skills, and answers a prompt with an unknown keyword, such as a task's own, by
 * copying its input (wrong on every task).
 */
public final class GeneralCorpus {
    private GeneralCorpus() {}

    public static Example sample(SplittableRandom rnd) {
        int kind = rnd.nextInt(10);
        if (kind >= 6) {
            return DemoTask.values()[kind - 6].skillSample(rnd);
        }
        String input = switch (kind) {
            case 0, 1 -> DemoText.letters(rnd, 2, 8);
            case 2, 3 -> DemoText.digits(rnd, 1, 5);
            case 4 -> digitWords(rnd);
            default -> rnd.nextInt(100) + "+" + rnd.nextInt(100);
        };
        return DemoText.example("copy", input, input);
    }

    public static List<Example> samples(SplittableRandom rnd, int n) {
        List<Example> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(sample(rnd));
        }
        return out;
    }

    private static String digitWords(SplittableRandom rnd) {
        int n = 1 + rnd.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(DemoText.DIGIT_WORDS.get(rnd.nextInt(10)));
        }
        return sb.toString();
    }
}
