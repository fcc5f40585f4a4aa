package io.laem.engine.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.eval.TokenBatch;
import io.laem.engine.infer.Decoder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pushes an adapter's output to zero on its retain examples: the mean square of every LoRA delta
 * (each module's {@code s B A x}, per element) over all real tokens of the batch's retain rows (those
 * after the first {@code ownRows}), averaged over modules, times {@code weight}. Cross-entropy on
 * retain targets only asks that the argmax survives, which leaves each adapter free to perturb
 * everything it is not trained on; summed with three others, those perturbations add up and break
 * every task. An adapter that is silent wherever its task is not asked, at every layer, adds to the others
 * without disturbing them: what makes the kit's adapters mergeable at all.
 */
final class SelectivityPenalty implements Trainer.Penalty {
    private final Decoder decoder;
    private final int ownRows;
    private final long padId;
    private final float weight;

    SelectivityPenalty(Decoder decoder, int ownRows, long padId, float weight) {
        this.decoder = decoder;
        this.ownRows = ownRows;
        this.padId = padId;
        this.weight = weight;
    }

    @Override
    public Supplier<NDArray> begin(TokenBatch b, NDManager manager) {
        float[] rows = new float[b.batch() * b.length()];
        int count = 0;
        for (int i = ownRows; i < b.batch(); i++) {
            for (int j = 0; j < b.length(); j++) {
                if (b.inputs()[i * b.length() + j] != padId) {
                    rows[i * b.length() + j] = 1;
                    count++;
                }
            }
        }
        if (count == 0 || weight == 0) {
            return null;
        }
        NDArray mask = manager.create(rows, new Shape(b.batch(), b.length(), 1));
        List<NDArray> terms = new ArrayList<>();
        decoder.probeLoraOutputs(d -> terms.add(d.square().mean(new int[] {-1}, true).mul(mask).sum()));
        float norm = weight / count;
        return () -> {
            decoder.probeLoraOutputs(null);
            if (terms.isEmpty()) {
                return manager.zeros(new Shape());
            }
            return NDArrays.stack(new NDList(terms)).mean().mul(norm);
        };
    }
}
