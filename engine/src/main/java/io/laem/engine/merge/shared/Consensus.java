package io.laem.engine.merge.shared;

import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.Factors;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.model.ModuleKey;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The consensus shared module of one module: the top {@code rank} singular directions of the sum
 * of the tasks' deltas, {@code S = U_k S_k V_k^T}, with every task's delta projected out of the
 * shared output subspace ({@code R_t' = (I - U_k U_k^T) R_t}). Since {@code U_k^T sum_t R_t = S_k V_k^T},
 * {@code S + sum_t R_t' = sum_t R_t} exactly: with all weights 1 the merge is task arithmetic,
 * and the weights then trade what the tasks share against what each adds. Rank space throughout.
 */
public final class Consensus {
    /** The shared module and the projected task modules (same order as given). */
    public record Result(LoraModule shared, List<LoraModule> tasks, double sharedEnergy) {}

    private Consensus() {}

    public static Result of(ModuleKey key, List<LoraModule> tasks, int rank) {
        LoraModule first = tasks.getFirst();
        int out = first.out();
        int in = first.in();
        LoraModule cat = LowRank.concatenate(key, tasks, java.util.Collections.nCopies(tasks.size(), 1.0));
        Factors s = LowRank.truncate(LowRank.matrix(cat.b(), out, cat.rank()), LowRank.matrix(cat.a(), cat.rank(), in), rank);
        if (s.rank() == 0) {
            return new Result(null, tasks, 0);
        }
        // U_k = b / sqrt(S_k) column-wise (b = U_k sqrt(S_k)); directions with zero energy are not shared
        INDArray u = LowRank.matrix(s.b(), out, s.rank());
        double[] sv = s.singularValues();
        for (int j = 0; j < s.rank(); j++) {
            double root = Math.sqrt(sv[j]);
            u.getColumn(j).muli(root > 0 ? 1 / root : 0);
        }
        List<LoraModule> projected = new ArrayList<>();
        for (LoraModule m : tasks) {
            INDArray b = LowRank.matrix(m.b(), out, m.rank());
            INDArray pb = b.sub(u.mmul(u.transpose().mmul(b)));
            projected.add(new LoraModule(key, m.rank(), in, out, m.a(), LowRank.toFloats(pb), m.scale()));
        }
        return new Result(new LoraModule(key, s.rank(), in, out, s.a(), s.b(), 1.0), projected, s.retainedEnergy());
    }
}
