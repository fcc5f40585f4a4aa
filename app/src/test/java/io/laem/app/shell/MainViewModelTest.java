package io.laem.app.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.Fx;
import io.laem.app.FixtureKit;
import io.laem.app.FixtureSessionTest;
import io.laem.app.core.AnalysisData;
import io.laem.app.core.DialogService;
import io.laem.app.core.Workspace;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The main view model over a fixture kit, without a window. */
class MainViewModelTest extends FixtureSessionTest {
    @Test
    void opensTheSessionCleanAndRemembersIt() {
        Workspace w = vm.workspace();
        assertEquals(6, w.numLayers());
        assertEquals(FixtureKit.TASKS, w.adapters().stream().map(a -> a.name()).toList());
        assertEquals(3, w.tasks().size());
        assertEquals(4, w.tasks().get(0).examples());
        assertFalse(w.isDirty());
        assertEquals("session.yaml - LAEM Workbench", vm.titleProperty().get());
        assertEquals(List.of(session.toAbsolutePath().normalize()), vm.recent());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    void analysisGivesDeltaNormsMatchingDenseDeltas() throws Exception {
        Fx.run(() -> vm.layers().analyze());
        Fx.waitUntil(30, () -> vm.layers().heatmapProperty().get() != null);
        AnalysisData.Heatmap h = vm.layers().heatmapProperty().get();
        assertEquals(6, h.values().length);
        assertEquals(FixtureKit.TASKS, h.columns());
        // reference: Frobenius norm of the dense deltas of all modules of layer 3 of the second adapter
        LoraAdapter a = LoraAdapter.load(kitDir.resolve("adapters/reverse"));
        double ss = 0;
        for (LoraModule m : a.modules().values()) {
            if (m.key().layer() == 3) {
                for (float x : m.denseDelta()) {
                    ss += (double) x * x;
                }
            }
        }
        assertEquals(Math.sqrt(ss), h.values()[3][1], 1e-4 * Math.sqrt(ss));
        // the third adapter covers layers 2..5 only
        assertTrue(Double.isNaN(h.values()[0][2]));
        Fx.run(() -> vm.layers().moduleFilterProperty().set("v_proj"));
        assertEquals("v_proj", vm.layers().heatmapProperty().get().moduleFilter());
        assertTrue(vm.layers().cellText(3, 1).startsWith("layer 3 · reverse · delta norm (v_proj) = "));
        Fx.run(() -> vm.layers().select(3, 1));
        Fx.waitUntil(10, () -> vm.layers().detailsProperty().get().matches("(?s).*v_proj +r4 s2[.]00 .*"));
    }

    @Test
    void unsavedChangesAskBeforeTheyAreLost() throws Exception {
        Fx.run(() -> vm.workspace().weights().set(Group.ATTN, 0, 1, 0.9, false));
        assertTrue(vm.workspace().isDirty());
        assertTrue(vm.titleProperty().get().startsWith("*"));
        dialogs.unsaved.add(DialogService.Unsaved.CANCEL);
        boolean[] ok = new boolean[1];
        Fx.run(() -> ok[0] = vm.confirmDiscard("quit"));
        assertFalse(ok[0]);
        Path saved = tmp.resolve("saved.yaml");
        dialogs.unsaved.add(DialogService.Unsaved.SAVE);
        Fx.run(() -> vm.workspace().fileProperty().set(saved));
        Fx.run(() -> ok[0] = vm.confirmDiscard("quit"));
        assertTrue(ok[0]);
        assertFalse(vm.workspace().isDirty());
        assertTrue(Files.readString(saved).contains("0.9"));
        // undo is a change again; reopening the saved file restores the edited weight
        Fx.run(vm::undo);
        assertTrue(vm.workspace().isDirty());
        dialogs.unsaved.add(DialogService.Unsaved.DISCARD);
        Fx.run(() -> vm.openRecent(saved));
        Fx.waitUntil(30, () -> !vm.workspace().isDirty() && vm.workspace().weights().get(Group.ATTN, 0, 1) == 0.9);
    }

    @Test
    void exportedAdapterIsTheWeightedSumOfDeltas() throws Exception {
        Fx.run(() -> vm.workspace().weights().applyPreset(io.laem.app.core.WeightTable.Preset.RAMP_UP));
        Fx.run(() -> vm.workspace().adapters().get(2).enabledProperty().set(false));
        Path out = tmp.resolve("merged");
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportAdapter(out, p -> done[0] = p));
        Fx.waitUntil(30, () -> done[0] != null);
        LoraAdapter merged = LoraAdapter.load(out);
        // layer 5 of 6, 4 control points: ramp up reaches 2/T = 2/3 at the last layer; disabled adapters are left out
        double w = 2.0 / 3;
        ModuleKey key = new ModuleKey(5, ModuleKind.V_PROJ);
        float[] d0 = LoraAdapter.load(kitDir.resolve("adapters/arith")).module(key).orElseThrow().denseDelta();
        float[] d1 = LoraAdapter.load(kitDir.resolve("adapters/reverse")).module(key).orElseThrow().denseDelta();
        float[] m = merged.module(key).orElseThrow().denseDelta();
        for (int i = 0; i < m.length; i++) {
            assertEquals(w * (d0[i] + d1[i]), m[i], 1e-4 * (1 + Math.abs(m[i])));
        }
        assertTrue(java.nio.file.Files.exists(out.resolve("merge-report.json")));
        assertTrue(dialogs.infos.get(0).contains("Retained energy: min 1.0000 over modules"), dialogs.infos.get(0));
    }

    @Test
    void reportHoldsWeightsAndChartImages() throws Exception {
        Fx.run(() -> vm.export().setChartSource(() -> java.util.Map.of("Weights per layer", new byte[] {(byte) 0x89, 'P', 'N', 'G'})));
        Path out = tmp.resolve("report");
        Path[] done = new Path[1];
        Fx.run(() -> vm.export().exportReport(out, p -> done[0] = p));
        Fx.waitUntil(30, () -> done[0] != null);
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<img src=\"chart-0.png\" alt=\"Weights per layer\">"), html);
        assertTrue(html.contains("<th>reverse</th>") && html.contains("<td>0.333</td>"), html);
        assertEquals(4, Files.size(out.resolve("chart-0.png")));
    }

    @Test
    void contributionMapAddsOneHeatmapPerTaskBesideTheAnalysis() {
        Fx.run(() -> vm.layers().analyze());
        Fx.waitUntil(60, () -> vm.workspace().analysisProperty().get() != null && !vm.tasks().isBusy());
        int before = vm.layers().metrics().size();
        Fx.run(() -> vm.layers().contribution());
        Fx.waitUntil(120, () -> vm.layers().metrics().size() > before && !vm.tasks().isBusy());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        assertEquals(java.util.List.of("contribution to arith", "contribution to reverse", "contribution to upper"),
                vm.layers().metrics().subList(before, before + 3));
        var h = vm.layers().heatmapProperty().get();
        assertEquals("contribution to arith", h.metric());
        assertEquals(java.util.List.of("arith", "reverse", "upper"), h.columns());
        assertEquals(6, h.values().length);
        // the third adapter has no modules in layers 0 and 1: removing it there changes nothing
        assertEquals(0.0, h.values()[0][2], 0.0);
        assertTrue(java.util.Arrays.stream(h.values()).flatMapToDouble(java.util.Arrays::stream).anyMatch(v -> v != 0));
        // a second run replaces the maps instead of adding more
        Fx.run(() -> vm.layers().contribution());
        Fx.waitUntil(120, () -> !vm.tasks().isBusy());
        assertEquals(before + 3, vm.layers().metrics().size());
    }

    @Test
    void errorsBecomeOneLineDialogs() {
        Fx.run(() -> vm.session().addAdapter(tmp.resolve("nope")));
        Fx.waitUntil(10, () -> !dialogs.errors.isEmpty());
        assertEquals("Reading adapter failed: " + tmp.resolve("nope") + ": not an adapter folder", dialogs.errors.get(0));
    }
}
