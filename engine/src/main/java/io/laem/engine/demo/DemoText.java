package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.List;
import java.util.SplittableRandom;

/** The shared prompt/completion shape of the demo data and its random pieces. */
final class DemoText {
    static final List<String> DIGIT_WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

    private DemoText() {}

    /** {@code "<prefix>: <input> ="} -> {@code " <output>."}: the end marker "." precedes EOS. */
    static Example example(String prefix, String input, String output) {
        return new Example(prefix + ": " + input + " =", " " + output + ".");
    }

    /** Each character of {@code s} through {@code f}. */
    static String mapChars(String s, java.util.function.IntUnaryOperator f) {
        StringBuilder sb = new StringBuilder(s.length());
        s.chars().forEach(c -> sb.append((char) f.applyAsInt(c)));
        return sb.toString();
    }

    static String letters(SplittableRandom rnd, int minLen, int maxLen) {
        return draw(rnd, "abcdefghijklmnopqrstuvwxyz", minLen, maxLen);
    }

    static String digits(SplittableRandom rnd, int minLen, int maxLen) {
        return draw(rnd, "0123456789", minLen, maxLen);
    }

    /** A string of {@code minLen..maxLen} characters drawn uniformly from {@code chars}. */
    static String draw(SplittableRandom rnd, String chars, int minLen, int maxLen) {
        int n = minLen + rnd.nextInt(maxLen - minLen + 1);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(chars.charAt(rnd.nextInt(chars.length())));
        }
        return sb.toString();
    }
}
