package io.laem.app.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.Fx;
import io.laem.app.FixtureKit;
import io.laem.app.ScriptedBackend;
import io.laem.app.core.AnalysisData;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main view model over a fixture kit, without a window. */
class MainViewModelTest {
    @TempDir
    static Path kitDir;
    static Path session;

    @TempDir
    Path tmp;
    FakeDialogs dialogs;
    MainViewModel vm;

    @BeforeAll
    static void kit() throws Exception {
        Fx.start();
        session = FixtureKit.write(kitDir);
    }

    @BeforeEach
    void open() {
        dialogs = new FakeDialogs();
        Fx.run(() -> vm = new MainViewModel(new Workspace(), new ScriptedBackend(1), new BackgroundTasks(), dialogs,
                new AppPreferences(tmp.resolve("prefs.properties"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3);
    }

    @AfterEach
    void close() {
        Fx.run(vm::close);
    }

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
    void errorsBecomeOneLineDialogs() {
        Fx.run(() -> vm.session().addAdapter(tmp.resolve("nope")));
        Fx.waitUntil(10, () -> !dialogs.errors.isEmpty());
        assertEquals("Reading adapter failed: " + tmp.resolve("nope") + ": not an adapter folder", dialogs.errors.get(0));
    }
}
