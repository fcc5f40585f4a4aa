package io.laem.app.export;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.core.MergeSettings;
import io.laem.app.core.SessionData;
import io.laem.app.core.WeightTable;
import io.laem.engine.io.DType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir
    Path dir;

    private String report(MergeWeights w, String name) throws Exception {
        SessionData s = new SessionData(dir.resolve("base"), List.of(new SessionData.AdapterRef("a", dir.resolve("a"), true, null)), List.of(), null,
                WeightTable.Mode.PER_LAYER, new double[][][] {{{1, 1}, {1, 1}}, {{1, 1}, {1, 1}}}, w,
                new MergeSettings.Values(new Recipe.Redundancy(Recipe.Redundancy.Strategy.NONE, 1, 1, Recipe.Redundancy.Sign.TOTAL, 0),
                        new Recipe.Shared(Recipe.Shared.Mode.NONE, 8, null), new Recipe.Output(null, DType.F32)), 0, List.of());
        Path out = dir.resolve(name);
        ReportWriter.write(OutputTarget.folder(out), s, "test", null, Map.of());
        return Files.readString(out.resolve("index.html"));
    }

    @Test
    void weightsPerModuleGetATablePerModule() throws Exception {
        String groups = report(MergeWeights.of(List.of("a", "shared"), 2, (e, l, g) -> g == ModuleKind.Group.ATTN ? 0.25 : 0.75), "g");
        assertTrue(groups.contains("<h3>attention</h3>") && groups.contains("<h3>MLP</h3>") && groups.contains("<td>0.750</td>"), groups);
        assertFalse(groups.contains("k_proj"), groups);
        String modules = report(MergeWeights.ofModules(List.of("a", "shared"), 2, (e, l, k) -> k == ModuleKind.K_PROJ ? 0.125 : 0.5), "m");
        for (ModuleKind k : ModuleKind.unfused()) {
            assertTrue(modules.contains("<h3>" + k.peftName() + "</h3>"), modules);
        }
        assertTrue(modules.contains("<td>0.125</td>"), modules);
    }
}
