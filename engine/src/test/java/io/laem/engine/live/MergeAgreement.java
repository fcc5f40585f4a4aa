package io.laem.engine.live;

import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * The one check that the live merge applies what {@code laem merge} writes: for every module, the
 * delta the LoRA bank applies now ({@link LiveMerge#delta}) against the delta of the merged adapter
 * in a folder. Shared by the command-line and workbench tests (engine test jar).
 */
public final class MergeAgreement {
    private MergeAgreement() {}

    /**
     * Largest absolute difference between the live delta and the merged adapter's delta over every
     * entry of every module, divided by the largest absolute entry of the merged deltas. Call inside a use.
     */
    public static double maxRelativeDifference(LiveMerge live, Path mergedAdapter) {
        LoraAdapter merged = LoraAdapter.load(mergedAdapter);
        TreeSet<ModuleKey> keys = new TreeSet<>(merged.modules().keySet());
        for (int l = 0; l < live.numLayers(); l++) {
            for (var k : io.laem.engine.model.ModuleKind.values()) {
                if (live.delta(new ModuleKey(l, k)) != null) {
                    keys.add(new ModuleKey(l, k));
                }
            }
        }
        if (keys.isEmpty()) {
            throw new AssertionError("neither the live merge nor " + mergedAdapter + " has any module");
        }
        double maxDiff = 0;
        double maxAbs = 0;
        for (ModuleKey k : keys) {
            float[] want = merged.module(k).map(LoraModule::denseDelta).orElse(null);
            float[] got = live.delta(k);
            int n = want != null ? want.length : got.length;
            if (want != null && got != null && want.length != got.length) {
                throw new AssertionError(k + ": live delta has " + got.length + " entries, merged " + want.length);
            }
            for (int i = 0; i < n; i++) {
                double w = want == null ? 0 : want[i];
                double g = got == null ? 0 : got[i];
                maxDiff = Math.max(maxDiff, Math.abs(w - g));
                maxAbs = Math.max(maxAbs, Math.abs(w));
            }
        }
        if (maxAbs == 0) {
            throw new AssertionError(mergedAdapter + ": every merged delta is zero, nothing to compare");
        }
        return maxDiff / maxAbs;
    }
}
