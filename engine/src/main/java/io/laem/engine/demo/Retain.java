package io.laem.engine.demo;

import io.laem.engine.infer.Scorer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Retain data for adapter training: text on which an adapter must leave the base alone. Half are
 * samples of the base's general corpus (copying and the four skills under their own keywords), half
 * the other tasks' training examples. The builder puts them in every adapter batch with no loss of
 * their own, only the {@link SelectivityPenalty} on the adapter's output there: the adapter learns to
 * act on its task's prompts and to stay silent elsewhere, so that four adapters can be summed
 * without writing over each other (the replay / retain-set practice of multi-task and continual
 * fine-tuning, with the base's own behaviour as the target).
 */
final class Retain {
    private Retain() {}

    /** {@code n} retain examples for {@code task}'s adapter, half corpus, half the other tasks' training examples. */
    static List<Example> examples(DemoTask task, Map<DemoTask, DemoData.Splits> data, SplittableRandom rnd, int n) {
        List<DemoTask> others = new ArrayList<>();
        for (DemoTask t : DemoTask.values()) {
            if (t != task && data.containsKey(t)) {
                others.add(t);
            }
        }
        List<Example> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (others.isEmpty() || rnd.nextBoolean()) {
                out.add(GeneralCorpus.sample(rnd));
            } else {
                List<Example> train = data.get(others.get(rnd.nextInt(others.size()))).train();
                out.add(train.get(rnd.nextInt(train.size())));
            }
        }
        return out;
    }
}
