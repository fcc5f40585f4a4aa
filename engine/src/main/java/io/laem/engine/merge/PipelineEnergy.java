package io.laem.engine.merge;

import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.redundancy.RedundancyStrategies;
import io.laem.engine.model.ModuleKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The share of the recipe's formula that a written module keeps through the whole pipeline (plan
 * and output): {@code 1 - ||W - F||^2 / ||F||^2}, where W is the written delta and
 * {@code F = w_shared S + sum_t w_t P X_t} the formula with each task's exact de-redundant delta
 * X_t (P: the plan's consensus projection {@code I - U U^T}, the identity without one). Each step
 * alone is a projection, so for one step this is the step's own retained energy (Eckart-Young).
 * Where the plan holds every task exactly, F is the weighted sum of the plan's terms and the figure
 * is the output step's; otherwise X_t are recomputed from the inputs and the figure is computed on
 * the dense matrices of this one module.
 */
final class PipelineEnergy {
    /** Plan energies at or above this are exact (the factors are the de-redundant delta). */
    static final double EXACT = 1 - 1e-12;

    private PipelineEnergy() {}

    /** The lowest share any task's factors keep of its de-redundant delta in this module (1 when none is cut). */
    static double planMin(Map<String, Double> planEnergy) {
        return planEnergy.entrySet().stream().filter(e -> !e.getKey().equals(Recipe.SHARED))
                .mapToDouble(Map.Entry::getValue).min().orElse(1.0);
    }

    static double of(MergePlan plan, Recipe recipe, ModuleKey k, LoraModule written, double outputEnergy) {
        if (planMin(plan.retainedEnergy().getOrDefault(k, Map.of())) >= EXACT) {
            return outputEnergy;
        }
        List<String> names = new ArrayList<>();
        List<LoraModule> mods = new ArrayList<>();
        for (LoraAdapter a : plan.inputs().adapters()) {
            a.module(k).ifPresent(m -> {
                names.add(a.name());
                mods.add(m);
            });
        }
        Recipe.Redundancy red = plan.key().redundancy();
        List<float[]> exact = RedundancyStrategies.of(red.strategy()).exactDeltas(k, mods, red);
        int out = written.out();
        int in = written.in();
        double[] f = new double[out * in];
        for (int t = 0; t < exact.size(); t++) {
            double w = recipe.weight(names.get(t), k.layer(), plan.numLayers(), k.kind());
            float[] x = exact.get(t);
            for (int i = 0; i < f.length; i++) {
                f[i] += w * x[i];
            }
        }
        LoraModule s = plan.shared().get(k);
        if (s != null && plan.key().shared().mode() == Recipe.Shared.Mode.CONSENSUS) {
            f = projectOut(f, s, out, in);
        }
        if (s != null) {
            double w = recipe.weight(Recipe.SHARED, k.layer(), plan.numLayers(), k.kind());
            float[] sd = s.denseDelta();
            for (int i = 0; i < f.length; i++) {
                f[i] += w * sd[i];
            }
        }
        float[] got = written.rank() == 0 ? new float[out * in] : written.denseDelta();
        double err = 0;
        double total = 0;
        for (int i = 0; i < f.length; i++) {
            double d = got[i] - f[i];
            err += d * d;
            total += f[i] * f[i];
        }
        return total == 0 ? 1.0 : Math.max(0.0, 1 - err / total);
    }

    /**
     * {@code (I - U U^T) F} with U the consensus module's output directions: the columns of its B,
     * which are orthogonal ({@code b = U_k sqrt(S_k)}), normalized.
     */
    private static double[] projectOut(double[] f, LoraModule s, int out, int in) {
        INDArray u = LowRank.matrix(s.b(), out, s.rank());
        for (int j = 0; j < s.rank(); j++) {
            INDArray col = u.getColumn(j);
            double n = col.norm2Number().doubleValue();
            col.muli(n > 0 ? 1 / n : 0);
        }
        INDArray m = org.nd4j.linalg.factory.Nd4j.create(f, new long[] {out, in}, 'c');
        return m.sub(u.mmul(u.transpose().mmul(m))).dup('c').data().asDouble();
    }
}
