package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The four demo tasks. Each needs a different skill (positional copying backwards, ordering,
 * arithmetic with carries, a digit-to-word lookup), all share the prompt shape
 * {@code "<task>: <input> ="} and the completion shape {@code " <output>."}, so that the base,
 * trained to copy in that shape, knows the format but none of the tasks.
 */
public enum DemoTask {
    /** "reverse: stone =" -> " enots." */
    REVERSE("reverse") {
        @Override
        String answer(String input) {
            return new StringBuilder(input).reverse().toString();
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.letters(rnd, 5, 5);
        }
    },
    /** "sort: dbca =" -> " abcd." */
    SORT("sort") {
        @Override
        String answer(String input) {
            char[] c = input.toCharArray();
            Arrays.sort(c);
            return new String(c);
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.letters(rnd, 4, 4);
        }
    },
    /** "add: 47+8 =" -> " 55." (a two-digit and a one-digit number: a carry, small enough to learn with rank 8) */
    ADD("add") {
        @Override
        String answer(String input) {
            int plus = input.indexOf('+');
            return Integer.toString(Integer.parseInt(input.substring(0, plus)) + Integer.parseInt(input.substring(plus + 1)));
        }

        @Override
        String input(SplittableRandom rnd) {
            return (10 + rnd.nextInt(90)) + "+" + rnd.nextInt(10);
        }
    },
    /** "spell: 307 =" -> " three zero seven." */
    SPELL("spell") {
        @Override
        String answer(String input) {
            StringBuilder sb = new StringBuilder();
            for (char c : input.toCharArray()) {
                sb.append(sb.isEmpty() ? "" : " ").append(DemoText.DIGIT_WORDS.get(c - '0'));
            }
            return sb.toString();
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.digits(rnd, 3, 3);
        }
    };

    private final String id;

    DemoTask(String id) {
        this.id = id;
    }

    /** The task's name: its prompt prefix and its folder in the kit. */
    public String id() {
        return id;
    }

    abstract String answer(String input);

    abstract String input(SplittableRandom rnd);

    /** The example for an input. */
    public Example example(String input) {
        return DemoText.example(id, input, answer(input));
    }

    /** A random example. */
    public Example sample(SplittableRandom rnd) {
        return example(input(rnd));
    }
}
