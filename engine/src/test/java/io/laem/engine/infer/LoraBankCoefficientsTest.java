package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.SyntheticModels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** New weights for modules already packed give what a bank given those weights from the start gives. */
class LoraBankCoefficientsTest {
    @Test
    void changedCoefficientsOfPackedModulesGiveTheLogitsOfAFreshBank() {
        try (HfModel hf = HfModel.open(GoldenSupport.FIXTURES.resolve("qwen3")); Decoder changed = Decoder.load(hf);
             Decoder fresh = Decoder.load(hf); NDManager m = NDManager.newBaseManager()) {
            long[] ids = GoldenSupport.ids();
            for (Decoder d : new Decoder[] {changed, fresh}) {
                d.bank().add("a", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(2, 4), 5));
                d.bank().add("b", SyntheticModels.randomModules(d.config(), AdapterSpec.allLinear(3, 6), 9));
            }
            changed.bank().setAll("a", 0.8);
            changed.bank().setAll("b", -0.5);
            float[] before = logits(changed, m, ids);
            // values only (the coefficients rewritten in place), an entry switched off in one module (a repack) and
            // one switched on again in another
            ModuleKey q1 = new ModuleKey(1, ModuleKind.Q_PROJ);
            ModuleKey down0 = new ModuleKey(0, ModuleKind.DOWN_PROJ);
            for (Decoder d : new Decoder[] {changed, fresh}) {
                d.bank().setAll("a", 1.3);
                d.bank().setLayerCoefficient("b", 0, 0.25);
                d.bank().setLayerCoefficient("b", 1, -0.5);
                d.bank().setCoefficient("b", q1, 0);
                d.bank().setCoefficient("a", down0, 0);
            }
            changed.bank().setCoefficient("a", down0, -0.7);
            fresh.bank().setCoefficient("a", down0, -0.7);
            float[] after = logits(changed, m, ids);
            assertFalse(Arrays.equals(before, after), "the new weights change the logits");
            assertArrayEquals(logits(fresh, m, ids), after, 1e-6f);
        }
    }

    private static float[] logits(Decoder d, NDManager m, long[] ids) {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            scope.suppressNotUsedWarning();
            return d.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
        }
    }
}
