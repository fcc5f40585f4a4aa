package io.laem.engine.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.Json;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.io.DType;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: merge-report.json's retained energy is the share of the recipe's formula that the
 * written adapter keeps through the whole pipeline (plan and output). The formula is computed here
 * in float64 from the input factors by the published definitions (TIES: trim to the top
 * floor(density n) by magnitude, ties in index order; sign elected by the sum, +1 on a tie; disjoint
 * mean over the agreeing tasks; magnitude: the trim alone), the figure as
 * {@code 1 - ||W - F||^2 / ||F||^2} with W read back from the written file.
 */
class RetainedEnergyReportTest {
    static final double[] WEIGHTS = {0.7, -0.4, 1.3};

    @TempDir
    Path tmp;

    Recipe recipe(Redundancy.Strategy s, double density, Integer rank) {
        Path base = Fixtures.tinyLlama(tmp);
        List<Path> ps = Fixtures.taskAdapters(tmp.resolve("a"), base, WEIGHTS.length);
        List<AdapterRef> refs = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            refs.add(new AdapterRef("t" + i, ps.get(i)));
        }
        Recipe r = Recipe.of(base, refs).withRedundancy(new Redundancy(s, density, 1, Redundancy.Sign.TOTAL, 0))
                .withOutput(new Output(rank, DType.F32));
        for (int i = 0; i < ps.size(); i++) {
            r = r.withWeight("t" + i, Schedule.constant(WEIGHTS[i]));
        }
        return r;
    }

    @Test
    void tiesWithExactOutputWritesTheTiesFormulaAndReportsNoLoss() throws Exception {
        Recipe r = recipe(Redundancy.Strategy.TIES, 0.3, null);
        MergeSummary summary = RecipeMerge.run(r, tmp.resolve("out"), null, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> formula = formula(r, true, WEIGHTS);
        Map<ModuleKey, double[]> written = written(tmp.resolve("out"));
        JsonNode report = Json.JSON.readTree(Files.readString(tmp.resolve("out").resolve(MergeWriter.REPORT)));
        for (var e : formula.entrySet()) {
            double[] f = e.getValue();
            double[] w = written.get(e.getKey());
            double scale = Arrays.stream(f).map(Math::abs).max().orElse(1);
            for (int i = 0; i < f.length; i++) {
                assertEquals(f[i], w[i], 1e-6 * scale, e.getKey() + " entry " + i);
            }
            double kept = retained(f, w);
            assertTrue(kept > 1 - 1e-9, e.getKey() + " keeps " + kept);
            assertEquals(kept, report.get("per_module").get(LoraConfig.moduleName(e.getKey())).get("retained_energy").asDouble(), 1e-9);
        }
        assertEquals(1.0, report.get("min_retained_energy").asDouble(), 1e-9);
        assertEquals(1.0, report.get("min_plan_retained_energy").asDouble(), 1e-9);
        assertTrue(report.get("warning").isNull(), report.toPrettyString());
        assertTrue(summary.warning().isEmpty());
    }

    @Test
    void magnitudeAtRankTwoReportsTheEnergyKeptThroughPlanAndOutput() throws Exception {
        checkRankN(Redundancy.Strategy.MAGNITUDE, false);
    }

    @Test
    void tiesAtRankTwoReportsTheEnergyKeptThroughPlanAndOutput() throws Exception {
        checkRankN(Redundancy.Strategy.TIES, true);
    }

    void checkRankN(Redundancy.Strategy s, boolean ties) throws Exception {
        Recipe r = recipe(s, 0.5, 2);
        MergeSummary summary = RecipeMerge.run(r, tmp.resolve("out"), null, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> formula = formula(r, ties, WEIGHTS);
        Map<ModuleKey, double[]> written = written(tmp.resolve("out"));
        JsonNode report = Json.JSON.readTree(Files.readString(tmp.resolve("out").resolve(MergeWriter.REPORT)));
        double min = 1;
        boolean planAndOutputDiffer = false;
        for (var e : formula.entrySet()) {
            double kept = retained(e.getValue(), written.get(e.getKey()));
            JsonNode m = report.get("per_module").get(LoraConfig.moduleName(e.getKey()));
            assertEquals(kept, m.get("retained_energy").asDouble(), 1e-6, e.getKey().toString());
            assertEquals(kept, summary.report().get(e.getKey()).retainedEnergy(), 1e-6, e.getKey().toString());
            planAndOutputDiffer |= Math.abs(kept - m.get("output_retained_energy").asDouble()) > 1e-3;
            min = Math.min(min, kept);
        }
        assertTrue(planAndOutputDiffer, "the plan's loss shows beside the output's");
        assertTrue(min < 0.99, "rank 2 of a trimmed delta loses energy: " + min);
        assertEquals(min, report.get("min_retained_energy").asDouble(), 1e-6);
        assertEquals(min, summary.minRetainedEnergy(), 1e-6);
        assertTrue(report.get("min_plan_retained_energy").asDouble() < 1);
        String warning = report.get("warning").asText();
        assertTrue(warning.startsWith("warning: the merge keeps only ") && !warning.contains("\n"), warning);
        assertEquals(summary.warning().orElseThrow(), warning);
    }

    @Test
    void tiesWithConsensusAndExactOutputIsTheTiesDeltaWithUnitWeights() throws Exception {
        double[] ones = {1, 1, 1};
        Recipe r = recipe(Redundancy.Strategy.TIES, 0.3, null).withShared(new Shared(Shared.Mode.CONSENSUS, 2, null));
        for (int i = 0; i < ones.length; i++) {
            r = r.withWeight("t" + i, Schedule.constant(1));
        }
        MergeSummary summary = RecipeMerge.run(r, tmp.resolve("out"), null, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> formula = formula(r, true, ones);
        Map<ModuleKey, double[]> written = written(tmp.resolve("out"));
        for (var e : formula.entrySet()) {
            assertTrue(retained(e.getValue(), written.get(e.getKey())) > 1 - 1e-9, e.getKey().toString());
        }
        assertEquals(1.0, summary.minRetainedEnergy(), 1e-9);
        assertTrue(summary.warning().isEmpty());
    }

    @Test
    void consensusAtRankTwoIsMeasuredAgainstTheFormulaInThePlansSharedSubspace() {
        // F = w_s S + (I - U U^T) sum_t w_t X_t, U spanning the plan's consensus module's output directions
        Recipe r = recipe(Redundancy.Strategy.MAGNITUDE, 0.5, 2).withShared(new Shared(Shared.Mode.CONSENSUS, 2, null))
                .withWeight(Recipe.SHARED, Schedule.constant(0.6));
        MergePlan plan = MergePlanner.plan(r, ProgressListener.NONE, CancellationToken.NONE);
        MergedAdapter merged = PlanMerger.merge(plan, r, ProgressListener.NONE, CancellationToken.NONE);
        Map<ModuleKey, double[]> tasks = formula(r, false, WEIGHTS);
        double min = 1;
        for (var e : tasks.entrySet()) {
            LoraModule s = plan.shared().get(e.getKey());
            double[] f = e.getValue().clone();
            int out = s.out();
            int in = s.in();
            for (double[] u : orthonormalColumns(s.b(), out, s.rank())) {
                for (int i = 0; i < in; i++) {
                    double dot = 0;
                    for (int o = 0; o < out; o++) {
                        dot += u[o] * f[o * in + i];
                    }
                    for (int o = 0; o < out; o++) {
                        f[o * in + i] -= u[o] * dot;
                    }
                }
            }
            double[] sd = delta(s);
            for (int i = 0; i < f.length; i++) {
                f[i] += 0.6 * sd[i];
            }
            double kept = retained(f, delta(merged.modules().get(e.getKey())));
            assertEquals(kept, merged.report().get(e.getKey()).retainedEnergy(), 1e-6, e.getKey().toString());
            min = Math.min(min, kept);
        }
        assertTrue(min < 0.99, "rank 2 loses energy: " + min);
    }

    /** Gram-Schmidt on the columns of a row-major [rows, cols] matrix; null columns dropped. */
    static List<double[]> orthonormalColumns(float[] m, int rows, int cols) {
        List<double[]> basis = new ArrayList<>();
        for (int j = 0; j < cols; j++) {
            double[] v = new double[rows];
            for (int o = 0; o < rows; o++) {
                v[o] = m[o * cols + j];
            }
            for (int pass = 0; pass < 2; pass++) {
                for (double[] u : basis) {
                    double dot = 0;
                    for (int o = 0; o < rows; o++) {
                        dot += u[o] * v[o];
                    }
                    for (int o = 0; o < rows; o++) {
                        v[o] -= dot * u[o];
                    }
                }
            }
            double n = Math.sqrt(Arrays.stream(v).map(x -> x * x).sum());
            if (n > 1e-9) {
                for (int o = 0; o < rows; o++) {
                    v[o] /= n;
                }
                basis.add(v);
            }
        }
        return basis;
    }

    /** 1 - ||w - f||^2 / ||f||^2. */
    static double retained(double[] f, double[] w) {
        double err = 0;
        double total = 0;
        for (int i = 0; i < f.length; i++) {
            err += (w[i] - f[i]) * (w[i] - f[i]);
            total += f[i] * f[i];
        }
        return 1 - err / total;
    }

    /** Each written module's delta s B A in double. */
    static Map<ModuleKey, double[]> written(Path dir) {
        Map<ModuleKey, double[]> out = new TreeMap<>();
        LoraAdapter.load(dir).modules().forEach((k, m) -> out.put(k, delta(m)));
        return out;
    }

    static double[] delta(LoraModule m) {
        double[] d = new double[m.out() * m.in()];
        for (int o = 0; o < m.out(); o++) {
            for (int j = 0; j < m.rank(); j++) {
                double b = m.scale() * m.b()[o * m.rank() + j];
                for (int i = 0; i < m.in(); i++) {
                    d[o * m.in() + i] += b * m.a()[j * m.in() + i];
                }
            }
        }
        return d;
    }

    /** The recipe's formula sum_t w_t X_t per module, X_t the trimmed (and, for TIES, elected and averaged) delta. */
    static Map<ModuleKey, double[]> formula(Recipe r, boolean ties, double[] weights) {
        List<LoraAdapter> in = r.adapters().stream().map(a -> LoraAdapter.load(a.path())).toList();
        Map<ModuleKey, double[]> out = new TreeMap<>();
        for (ModuleKey k : in.getFirst().modules().keySet()) {
            List<double[]> x = new ArrayList<>();
            List<Double> w = new ArrayList<>();
            for (int t = 0; t < in.size(); t++) {
                LoraModule m = in.get(t).modules().get(k);
                if (m != null) {
                    x.add(trim(delta(m), r.redundancy().density()));
                    w.add(weights[t]);
                }
            }
            if (ties) {
                electAndAverage(x);
            }
            double[] f = new double[x.getFirst().length];
            for (int t = 0; t < x.size(); t++) {
                for (int i = 0; i < f.length; i++) {
                    f[i] += w.get(t) * x.get(t)[i];
                }
            }
            out.put(k, f);
        }
        return out;
    }

    /** Keeps the floor(density n) entries of largest magnitude, equal magnitudes in index order. */
    static double[] trim(double[] x, double density) {
        int k = (int) (density * x.length);
        Integer[] idx = new Integer[x.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> {
            int c = Double.compare(Math.abs(x[q]), Math.abs(x[p]));
            return c != 0 ? c : Integer.compare(p, q);
        });
        double[] y = new double[x.length];
        for (int i = 0; i < k; i++) {
            y[idx[i]] = x[idx[i]];
        }
        return y;
    }

    /** TIES: elected sign per entry by the sum (+1 on a tie), other signs and zeros dropped, mean over the kept. */
    static void electAndAverage(List<double[]> x) {
        for (int i = 0; i < x.getFirst().length; i++) {
            double vote = 0;
            for (double[] t : x) {
                vote += t[i];
            }
            int count = 0;
            for (double[] t : x) {
                if (vote >= 0 ? t[i] > 0 : t[i] < 0) {
                    count++;
                } else {
                    t[i] = 0;
                }
            }
            for (double[] t : x) {
                t[i] = count > 0 ? t[i] / count : 0;
            }
        }
    }
}
