package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The size rule of laem optimize: which models get the large-model defaults, and that explicit settings win. */
class ModelScaleTest {
    static ModelConfig config(ModelSpec s) {
        return ModelConfig.parse("synthetic", SyntheticModels.configJson(s));
    }

    @Test
    void theDemoKitIsSmallAndQwen3SixTenthsBIsLarge() {
        ModelConfig kit = ModelConfig.read(DemoKit.dir().resolve("base").resolve("config.json"));
        ModelConfig qwen = config(ModelSpec.qwen3SixTenthsB());
        // 28 layers x (q 2048x1024 + k, v 1024x1024 + o 1024x2048 + 3 x 3072x1024)
        assertEquals(28L * (2 * 2048 * 1024 + 2 * 1024 * 1024 + 3 * 3072 * 1024), ModelScale.linearParameters(qwen));
        assertEquals(OptimizeSettings.Scale.SMALL, ModelScale.of(OptimizeSettings.Scale.AUTO, kit));
        assertEquals(OptimizeSettings.Scale.LARGE, ModelScale.of(OptimizeSettings.Scale.AUTO, qwen));
        assertEquals(OptimizeSettings.Scale.LARGE, ModelScale.of(OptimizeSettings.Scale.AUTO, config(ModelSpec.qwen2HalfB())));
        // forced either way
        assertEquals(OptimizeSettings.Scale.LARGE, ModelScale.of(OptimizeSettings.Scale.LARGE, kit));
        assertEquals(OptimizeSettings.Scale.SMALL, ModelScale.of(OptimizeSettings.Scale.SMALL, qwen));
    }

    @Test
    void largeDefaultsApplyOnlyToWhatWasNotSet() {
        OptimizeSettings given = new OptimizeSettings().budget(40).threads(1);
        OptimizeSettings large = given.forScale(OptimizeSettings.Scale.LARGE);
        assertNotSame(given, large);
        assertEquals(OptimizeSettings.Scale.LARGE, large.scale());
        assertEquals(40, large.budget(), "explicit budget kept");
        assertEquals(1, large.threads(), "explicit threads kept");
        assertEquals(ModelScale.LARGE.method(), large.method());
        assertEquals(ModelScale.LARGE.minibatch(), large.minibatch());
        assertEquals(ModelScale.LARGE.baselineExamples(), large.baselineExamples());
        assertEquals(ModelScale.LARGE.taskArithmeticScales(), large.taskArithmeticScales());
        assertTrue(large.tiesDensities().isEmpty(), "no TIES-family baselines on a large model");
        // the given settings are untouched, and SMALL is them as they are
        assertEquals(0, given.minibatch());
        assertEquals(List.of(0.2, 0.5, 0.8), given.tiesDensities());
        OptimizeSettings small = given.forScale(OptimizeSettings.Scale.SMALL);
        assertEquals(given.method(), small.method());
        assertEquals(given.minibatch(), small.minibatch());
        assertEquals(given.tiesDensities(), small.tiesDensities());
        assertEquals(40, small.budget());
    }
}
