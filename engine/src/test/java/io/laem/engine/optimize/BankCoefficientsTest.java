package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BankCoefficientsTest {
    /** A bank that records coefficients; starts with everything at 9 to see what gets reset. */
    static final class FakeBank implements BankCoefficients.Bank {
        final List<String> names;
        final Map<String, Double> c = new HashMap<>();

        FakeBank(List<String> names) {
            this.names = names;
        }

        @Override
        public List<String> names() {
            return names;
        }

        @Override
        public void setCoefficient(String entry, ModuleKey key, double coefficient) {
            c.put(entry + "@" + key.layer() + "." + key.kind().peftName(), coefficient);
        }

        double get(String entry, int layer, ModuleKind k) {
            return c.getOrDefault(entry + "@" + layer + "." + k.peftName(), 9.0);
        }
    }

    @Test
    void showsOnePlanAndZeroesTheRest() {
        FakeBank bank = new FakeBank(List.of("raw/a", "raw/b", "laem/a", "laem/b", "laem/shared"));
        MergeWeights w = Parameterization.perLayerKind(List.of("a", "b", "shared"), 2)
                .decode(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        new BankCoefficients(bank, 2).show("laem", w);
        assertEquals(1, bank.get("laem/a", 0, ModuleKind.Q_PROJ));
        assertEquals(1, bank.get("laem/a", 0, ModuleKind.O_PROJ));
        assertEquals(2, bank.get("laem/a", 0, ModuleKind.DOWN_PROJ));
        assertEquals(4, bank.get("laem/a", 1, ModuleKind.UP_PROJ));
        assertEquals(7, bank.get("laem/b", 1, ModuleKind.V_PROJ));
        assertEquals(12, bank.get("laem/shared", 1, ModuleKind.GATE_PROJ));
        for (ModuleKind k : ModuleKind.values()) {
            assertEquals(0, bank.get("raw/a", 1, k));
            assertEquals(0, bank.get("raw/b", 0, k));
        }
    }

    @Test
    void missingEntryIsAnError() {
        FakeBank bank = new FakeBank(List.of("raw/a"));
        assertThrows(IllegalArgumentException.class,
                () -> new BankCoefficients(bank, 2).show("raw", MergeWeights.constant(List.of("a", "b"), 2, 1)));
    }

    @Test
    void scorerShowsTheCandidateBeforeComputingLosses() {
        FakeBank bank = new FakeBank(List.of("raw/a", "laem/a", "laem/b"));
        // each task's loss reads what the bank holds when it is computed
        BankTaskScorer scorer = new BankTaskScorer(new BankCoefficients(bank, 2), "laem", Map.of(
                "ta", c -> Math.pow(bank.get("laem/a", 1, ModuleKind.DOWN_PROJ) - 0.3, 2),
                "tb", c -> Math.pow(bank.get("laem/b", 0, ModuleKind.Q_PROJ) - 1.2, 2) + bank.get("raw/a", 0, ModuleKind.Q_PROJ)));
        RunResult r = OptimizationRun.builder(TaskLossObjective.of(scorer), Parameterization.perTask(List.of("a", "b"), 2))
                .budget(400).seed(4).build().run();
        assertArrayEquals(new double[] {0.3, 1.2}, r.bestX(), 1e-3);
        assertEquals(Map.of("ta", 0.0, "tb", 0.0), r.best().taskScores().entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> Math.round(e.getValue() * 1e4) / 1e4)));
    }
}
