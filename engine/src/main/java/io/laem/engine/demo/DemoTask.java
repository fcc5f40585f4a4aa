package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.SplittableRandom;

/**
 * The four demo tasks. Each maps every input character through its own function, and each reads
 * its own characters: {@code shift} the letters a-m, {@code mirror} the letters n-z, {@code nines}
 * the digits 0-4, {@code spell} the digits 5-9. The base learns each mapping in its general corpus
 * under another keyword ({@link #skill()}: next, flip, comp, word) and answers the task's own keyword
 * by copying; an adapter teaches the model to answer the task's keyword with the skill, the way
 * instruction tuning teaches a model to use what it knows when asked in a new way. All share the
 * prompt shape {@code "<keyword>: <input> ="} and the completion shape {@code " <output>."}.
 */
public enum DemoTask {
    /** "shift: badge =" -> " cbehf." (each letter of a-m to the next one; five letters) */
    SHIFT("shift", "next", "abcdefghijklm", 5) {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> c + 1);
        }
    },
    /** "mirror: stony =" -> " hglmb." (the alphabet read backwards: n to m, ..., z to a; five letters of n-z) */
    MIRROR("mirror", "flip", "nopqrstuvwxyz", 5) {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> 'z' - (c - 'a'));
        }
    },
    /** "nines: 30241 =" -> " 69758." (each digit d of 0-4 to 9 - d, the nines' complement; five digits) */
    NINES("nines", "comp", "01234", 5) {
        @Override
        String answer(String input) {
            return DemoText.mapChars(input, c -> '9' - (c - '0'));
        }
    },
    /** "spell: 5978 =" -> " five nine seven eight." (digits of 5-9 as words; four digits) */
    SPELL("spell", "word", "56789", 4) {
        @Override
        String answer(String input) {
            StringBuilder sb = new StringBuilder();
            for (char c : input.toCharArray()) {
                sb.append(sb.isEmpty() ? "" : " ").append(DemoText.DIGIT_WORDS.get(c - '0'));
            }
            return sb.toString();
        }
    };

    private final String id;
    private final String skill;
    private final String domain;
    private final int length;

    DemoTask(String id, String skill, String domain, int length) {
        this.id = id;
        this.skill = skill;
        this.domain = domain;
        this.length = length;
    }

    /** The keyword under which the base's general corpus teaches this task's mapping. */
    public String skill() {
        return skill;
    }

    /** The mapping as the general corpus teaches it: the base's keyword, inputs of 2 to the task's length. */
    Example skillSample(SplittableRandom rnd) {
        String input = DemoText.draw(rnd, domain, 2, length);
        return DemoText.example(skill, input, answer(input));
    }

    /** The task's name: its prompt prefix and its folder in the kit. */
    public String id() {
        return id;
    }

    /** The characters this task's inputs are made of (disjoint across tasks). */
    public String domain() {
        return domain;
    }

    abstract String answer(String input);

    String input(SplittableRandom rnd) {
        return DemoText.draw(rnd, domain, length, length);
    }

    /** The example for an input. */
    public Example example(String input) {
        if (!input.chars().allMatch(c -> domain.indexOf(c) >= 0)) {
            throw new IllegalArgumentException(id + ": input '" + input + "' has characters outside " + domain);
        }
        return DemoText.example(id, input, answer(input));
    }

    /** A random example. */
    public Example sample(SplittableRandom rnd) {
        return example(input(rnd));
    }
}
