package io.laem.engine.infer.bench;

import io.laem.engine.demo.Jsonl;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code laem bench optimize}'s inputs: the real-size benchmark model and its four random rank-16 adapters
 * ({@link BenchModels}), and next to them a recipe and four tasks (one per adapter) of about 40 tokens per example
 * in the model's character-level tokenizer: {@code validation} examples per task for the optimizer's objective and
 * {@code test} for its report. The weights are random, so the tasks measure the optimizer's time, not its quality;
 * the text is made of the tokenizer's characters (lower-case letters and spaces) so that every token is a real one.
 * Written on every call (small files), deterministic.
 */
public final class OptimizeBenchKit {
    /** The tasks, adapter i on task i: a keyword and how a 10-letter word maps to the completion. */
    static final List<String> TASKS = List.of("reverse", "shift", "sort", "swap");
    static final int WORD = 10;

    /** The recipe and the task file written. */
    public record Files(Path recipe, Path tasks, BenchModels.Files model) {}

    private OptimizeBenchKit() {}

    /** Examples per task of the default kit, the one written to {@code optimize/}. */
    public static final int DEFAULT_VALIDATION = 48;
    public static final int DEFAULT_TEST = 8;

    /**
     * Writes (again) {@code <cache>/<model>-<dtype>/optimize/} (other sizes: {@code optimize-vV-tT/}): recipe.yaml,
     * tasks.yaml and tasks/TASK/{validation,test}.jsonl. A folder per size, so a run with other sizes leaves the default
     * kit (and a run of it in progress) as it was; the same size writes the same bytes.
     */
    public static Files ensure(String model, DType dtype, Path cache, int validation, int test, Consumer<String> log) {
        BenchModels.Files m = BenchModels.ensure(model, dtype, cache, false, log);
        Path dir = m.model().getParent().resolve(folder(validation, test));
        SplittableRandom rnd = new SplittableRandom(15);
        StringBuilder tasks = new StringBuilder("tasks:\n");
        StringBuilder adapters = new StringBuilder();
        StringBuilder weights = new StringBuilder();
        for (int t = 0; t < TASKS.size(); t++) {
            String task = TASKS.get(t);
            for (String split : List.of("validation", "test")) {
                Jsonl.write(dir.resolve("tasks").resolve(task).resolve(split + ".jsonl"),
                        examples(task, split.equals("validation") ? validation : test, rnd));
            }
            tasks.append("  ").append(task).append(":\n")
                    .append("    validation: tasks/").append(task).append("/validation.jsonl\n")
                    .append("    test: tasks/").append(task).append("/test.jsonl\n");
            adapters.append("- name: ").append(task).append('\n')
                    .append("  path: ").append(m.adapters().get(t).toAbsolutePath()).append('\n');
            weights.append("  ").append(task).append(": 0.25\n");
        }
        AtomicFiles.writeString(dir.resolve("tasks.yaml"), tasks.toString());
        String recipe = "# laem bench optimize: " + model + " " + dtype.name().toLowerCase() + " with random weights and four random rank-"
                + BenchModels.RANK + " adapters\n"
                + "base_model: " + m.model().toAbsolutePath() + "\n"
                + "adapters:\n" + adapters
                + "redundancy:\n  strategy: none\n"
                + "shared:\n  mode: none\n  rank: 8\n"
                + "weights:\n" + weights
                + "output:\n  rank: exact\n  dtype: float32\n"
                + "tasks: tasks.yaml\n";
        AtomicFiles.writeString(dir.resolve("recipe.yaml"), recipe);
        log.accept("wrote " + TASKS.size() + " tasks x " + validation + " validation + " + test + " test examples and a recipe to " + dir);
        return new Files(dir.resolve("recipe.yaml"), dir.resolve("tasks.yaml"), m);
    }

    static String folder(int validation, int test) {
        return validation == DEFAULT_VALIDATION && test == DEFAULT_TEST ? "optimize" : "optimize-v" + validation + "-t" + test;
    }

    /** {@code n} examples of a task: "TASK the word WORD as" -> " MAPPED" (about 40 tokens with BOS). */
    static List<Example> examples(String task, int n, SplittableRandom rnd) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            char[] w = new char[WORD];
            for (int k = 0; k < WORD; k++) {
                w[k] = (char) ('a' + rnd.nextInt(26));
            }
            out.add(new Example(task + " the word " + new String(w) + " as", " " + map(task, w)));
        }
        return out;
    }

    static String map(String task, char[] w) {
        char[] c = w.clone();
        switch (task) {
            case "reverse" -> {
                for (int i = 0; i < c.length / 2; i++) {
                    char x = c[i];
                    c[i] = c[c.length - 1 - i];
                    c[c.length - 1 - i] = x;
                }
            }
            case "shift" -> {
                for (int i = 0; i < c.length; i++) {
                    c[i] = (char) ('a' + (c[i] - 'a' + 1) % 26);
                }
            }
            case "sort" -> Arrays.sort(c);
            case "swap" -> {
                for (int i = 0; i + 1 < c.length; i += 2) {
                    char x = c[i];
                    c[i] = c[i + 1];
                    c[i + 1] = x;
                }
            }
            default -> throw new IllegalArgumentException(task);
        }
        return new String(c);
    }
}
