package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The four demo tasks. Each maps every input character through its own function: letter
 * successor, alphabet mirror, digit complement, digit to word (a lookup that also expands). Two
 * act on letters and two on digits, so merging them has real conflicts (shift and mirror want
 * different letters for the same input) next to separable pairs. Inputs have a fixed length per
 * task, which keeps them learnable by a rank-8 adapter within the CPU budget. All share the prompt shape
 * {@code "<task>: <input> ="} and the completion shape {@code " <output>."}, so that the base,
 * trained to copy in that shape, knows the format but none of the tasks.
 */
public enum DemoTask {
    /** "shift: stone =" -> " tupof." (each letter to the next one, z to a; five letters) */
    SHIFT("shift") {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> 'a' + (c - 'a' + 1) % 26);
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.letters(rnd, 5, 5);
        }
    },
    /** "mirror: stone =" -> " hglmv." (the alphabet read backwards: a to z, b to y, ...; five letters) */
    MIRROR("mirror") {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> 'z' - (c - 'a'));
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.letters(rnd, 5, 5);
        }
    },
    /** "nines: 307 =" -> " 692." (each digit d to 9 - d, the nines' complement; four digits) */
    NINES("nines") {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> '9' - (c - '0'));
        }

        @Override
        String input(SplittableRandom rnd) {
            return DemoText.digits(rnd, 4, 4);
        }
    },
    /** "spell: 307 =" -> " three zero seven." (three digits) */
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
