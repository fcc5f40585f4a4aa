package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The base model's training text: copying in the shared prompt shape ({@code "copy: x =" -> " x."})
 * over letters, digits, digit words and sums, so that the base knows the alphabet, the words and the
 * format, and answers any task prompt by copying its input (wrong on every task).
 */
public final class GeneralCorpus {
    private GeneralCorpus() {}

    public static Example sample(SplittableRandom rnd) {
        String input = switch (rnd.nextInt(5)) {
            case 0, 1 -> DemoText.letters(rnd, 2, 8);
            case 2 -> DemoText.digits(rnd, 1, 5);
            case 3 -> digitWords(rnd);
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
