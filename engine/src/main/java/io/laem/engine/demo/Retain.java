package io.laem.engine.demo;

import io.laem.engine.eval.EncodedExample;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.Scorer.Example;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Retain data for adapter training: prompts that are not an adapter's task (the general copying
 * corpus and the other tasks' prompts), with the frozen base's own greedy completions as targets,
 * computed once with every bank coefficient at 0. Mixing these into an adapter's batches asks it to
 * leave other inputs as the base answers them, i.e. to be selective to its own task's prompts, which
 * is what summing adapters at weight ~1 needs (the replay / retain-set practice of multi-task and
 * continual fine-tuning, here as self-distillation toward the base's greedy outputs). Off by default:
 * at the sizes tried it did not make the demo kit's adapters mergeable (docs/demo-kit.md).
 */
final class Retain {
    private final List<EncodedExample> corpusTrain;
    private final List<EncodedExample> corpusCheck;
    private final Map<DemoTask, List<EncodedExample>> taskTrain;
    private final Map<DemoTask, List<EncodedExample>> taskCheck;

    private Retain(List<EncodedExample> corpusTrain, List<EncodedExample> corpusCheck,
                   Map<DemoTask, List<EncodedExample>> taskTrain, Map<DemoTask, List<EncodedExample>> taskCheck) {
        this.corpusTrain = corpusTrain;
        this.corpusCheck = corpusCheck;
        this.taskTrain = taskTrain;
        this.taskCheck = taskCheck;
    }

    /**
     * The base's answers (the evaluator's decoder with all bank coefficients 0) to {@code pool}
     * corpus prompts and the first {@code pool} train prompts of each task, and to {@code check}
     * held-out corpus prompts and the first {@code check} validation prompts of each task.
     */
    static Retain of(Evaluator base, HfTokenizer tok, Map<DemoTask, DemoData.Splits> data, long seed, int pool, int check) {
        Map<DemoTask, List<EncodedExample>> train = new EnumMap<>(DemoTask.class);
        Map<DemoTask, List<EncodedExample>> held = new EnumMap<>(DemoTask.class);
        data.forEach((t, sp) -> {
            train.put(t, answers(base, tok, sp.train().subList(0, Math.min(pool, sp.train().size()))));
            held.put(t, answers(base, tok, sp.validation().subList(0, Math.min(check, sp.validation().size()))));
        });
        return new Retain(answers(base, tok, GeneralCorpus.samples(new SplittableRandom(seed + 3), pool)),
                answers(base, tok, GeneralCorpus.samples(new SplittableRandom(seed + 4), check)), train, held);
    }

    /** Retain training examples for {@code task}'s adapter: the corpus and every other task. */
    List<EncodedExample> trainFor(DemoTask task) {
        return others(task, corpusTrain, taskTrain);
    }

    /** The fraction of held-out retain prompts (not {@code task}'s) that the model answers exactly as the base did. */
    double keptFor(DemoTask task, Evaluator model) {
        List<EncodedExample> check = others(task, corpusCheck, taskCheck);
        int same = 0;
        for (int from = 0; from < check.size(); from += Evaluator.DEFAULT_BATCH) {
            List<EncodedExample> b = check.subList(from, Math.min(check.size(), from + Evaluator.DEFAULT_BATCH));
            int maxNew = b.stream().mapToInt(e -> e.completion().length).max().orElse(1);
            List<long[]> gen = model.greedy(b.stream().map(EncodedExample::prompt).toList(), maxNew);
            for (int i = 0; i < b.size(); i++) {
                same += Arrays.equals(gen.get(i), b.get(i).completion()) ? 1 : 0;
            }
        }
        return check.isEmpty() ? 1 : same / (double) check.size();
    }

    private static List<EncodedExample> others(DemoTask task, List<EncodedExample> corpus, Map<DemoTask, List<EncodedExample>> tasks) {
        List<EncodedExample> out = new ArrayList<>(corpus);
        tasks.forEach((t, l) -> {
            if (t != task) {
                out.addAll(l);
            }
        });
        return out;
    }

    /** Longest base answer generated: the task completions are at most this long. */
    private static final int MAX_NEW = 24;

    private static List<EncodedExample> answers(Evaluator base, HfTokenizer tok, List<Example> prompts) {
        List<EncodedExample> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += Evaluator.DEFAULT_BATCH) {
            List<long[]> p = new ArrayList<>();
            for (Example e : prompts.subList(from, Math.min(prompts.size(), from + Evaluator.DEFAULT_BATCH))) {
                p.add(EncodedExample.of(tok, e).prompt());
            }
            List<long[]> gen = base.greedy(p, MAX_NEW);
            for (int i = 0; i < p.size(); i++) {
                out.add(new EncodedExample(p.get(i), gen.get(i)));
            }
        }
        return out;
    }
}
