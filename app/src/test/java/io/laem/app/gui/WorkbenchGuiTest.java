package io.laem.app.gui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.Axis;
import io.laem.app.Fx;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.geometry.Point2D;
import javafx.scene.control.TableView;
import javafx.scene.control.TextArea;
import javafx.scene.input.MouseButton;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The real window, headless (Monocle), on the fixture kit: drag a weight point, run a tiny
 * optimizer budget, generate in the playground, export an adapter through the menu.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkbenchGuiTest extends FixtureWindowTest {
    @Test
    @Order(1)
    void opensOnTheSession() {
        assertEquals("session.yaml - LAEM Workbench", window.stage().getTitle());
        TableView<?> adapters = robot.lookup("#adapters-table").queryAs(TableView.class);
        assertEquals(3, adapters.getItems().size());
        menu("Run", "Analyze");
        Fx.waitUntil(60, () -> vm.layers().heatmapProperty().get() != null && !vm.tasks().isBusy());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    @Order(2)
    void dragAWeightPoint() {
        robot.clickOn("Weights");
        XYChart chart = robot.lookup("#weights-chart").queryAs(XYChart.class);
        double before = vm.workspace().weights().get(Group.ATTN, 0, 1);
        Point2D p = screenPoint(chart, vm.weights().pointLayer(1), before);
        // press on the point and drag it up
        robot.moveTo(p.getX(), p.getY()).press(MouseButton.PRIMARY);
        for (int i = 0; i < 8; i++) {
            robot.moveBy(0, -10);
        }
        robot.release(MouseButton.PRIMARY);
        Fx.waitUntil(5, () -> vm.workspace().weights().get(Group.ATTN, 0, 1) > before + 0.05);
        assertTrue(vm.workspace().isDirty());
        assertTrue(vm.workspace().weights().canUndoProperty().get());
        menu("Edit", "Undo");
        assertEquals(before, vm.workspace().weights().get(Group.ATTN, 0, 1), 1e-9);
        // per-module weights (an optimizer run with per-layer-module) show as group means, and the view says so
        javafx.scene.control.Label note = robot.lookup("#per-module-note").queryAs(javafx.scene.control.Label.class);
        assertFalse(note.isVisible());
        var table = vm.workspace().weights();
        Fx.run(() -> table.show(io.laem.engine.merge.MergeWeights.ofModules(table.series(), table.numLayers(),
                (e, l, k) -> k == io.laem.engine.model.ModuleKind.K_PROJ ? 0.9 : 0.1), false));
        Fx.waitUntil(5, note::isVisible);
        assertEquals(0.3, table.get(Group.ATTN, 0, 1), 1e-9); // q, k, v, o: (0.1 + 0.9 + 0.1 + 0.1) / 4
        menu("Edit", "Undo");
        Fx.waitUntil(5, () -> !note.isVisible());
        assertEquals(before, vm.workspace().weights().get(Group.ATTN, 0, 1), 1e-9);
    }

    private static Point2D screenPoint(XYChart chart, double x, double y) {
        Axis xa = chart.getXAxis();
        Axis ya = chart.getYAxis();
        Point2D[] out = new Point2D[1];
        Fx.run(() -> out[0] = chart.getCanvas().localToScreen(xa.getDisplayPosition(x), ya.getDisplayPosition(y)));
        return out[0];
    }

    @Test
    @Order(3)
    void tinyOptimizerRun() {
        robot.clickOn("Optimize");
        Fx.run(() -> {
            vm.optimize().parameterizationProperty().set(io.laem.engine.optimize.Parameterization.Kind.PER_TASK);
            vm.optimize().budgetProperty().set(4);
        });
        robot.clickOn("#optimize-start");
        Fx.waitUntil(300, () -> !vm.optimize().runningProperty().get());
        // the default search takes gradient steps of three evaluations' worth: budget 4 over the session's plan and the
        // consensus plan is one step each
        assertEquals(2, vm.optimize().events().size());
        TableView<?> table = robot.lookup("#comparison-table").queryAs(TableView.class);
        assertEquals(vm.optimize().comparisonProperty().get().methods().size(), table.getItems().size());
        assertEquals("LAEM", vm.optimize().comparisonProperty().get().methods().getLast());
        assertTrue(vm.optimize().summaryProperty().get().startsWith("Done"), vm.optimize().summaryProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    @Order(4)
    void generateInThePlayground() {
        robot.clickOn("Playground");
        robot.clickOn("#prompt-area").write("abc");
        Fx.run(() -> vm.playground().maxTokensProperty().set(5));
        robot.clickOn("#generate-button");
        Fx.waitUntil(120, () -> !vm.playground().runningProperty().get());
        TextArea merge = robot.lookup("#answer-merge").queryAs(TextArea.class);
        assertFalse(merge.getText().isEmpty());
        assertTrue(vm.playground().columns().getLast().statsProperty().get().endsWith("tokens/s"));
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    /** The Playground asked while the optimizer runs: it says it waits, then answers on the same model. */
    @Test
    @Order(5)
    void thePlaygroundWaitsForTheOptimizerRunOnTheOneModel() {
        var live = backend.liveMerge();
        robot.clickOn("Optimize");
        Fx.run(() -> {
            vm.optimize().parameterizationProperty().set(io.laem.engine.optimize.Parameterization.Kind.PER_LAYER);
            vm.optimize().budgetProperty().set(100_000);
        });
        robot.clickOn("#optimize-start");
        Fx.waitUntil(120, () -> vm.optimize().events().size() >= 2);
        robot.clickOn("Playground");
        javafx.scene.control.Label notice = robot.lookup("#playground-notice").queryAs(javafx.scene.control.Label.class);
        assertTrue(notice.isVisible() && notice.getText().startsWith("The optimizer run holds the model"), notice.getText());
        robot.clickOn("#generate-button");
        Fx.waitUntil(60, () -> vm.playground().columns().getFirst().statsProperty().get().equals("waiting for the optimizer run to finish")
                || !vm.optimize().runningProperty().get());
        assertTrue(vm.optimize().runningProperty().get(), "the run ended before the Playground asked");
        Fx.run(vm.optimize()::stop); // the run keeps its best so far; the queued answers follow
        Fx.waitUntil(300, () -> !vm.optimize().runningProperty().get() && !vm.playground().runningProperty().get());
        assertFalse(notice.isVisible());
        assertTrue(vm.playground().columns().getLast().statsProperty().get().endsWith("tokens/s"));
        // one model for both views, all along
        assertEquals(1, backend.modelsLoaded());
        assertEquals(live, backend.liveMerge());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    @Order(6)
    void exportAnAdapterThroughTheMenu() {
        Path out = dir.resolve("exported");
        dialogs.paths.add(out);
        menu("File", "Export", "Merged Adapter (PEFT)...");
        Fx.waitUntil(60, () -> !dialogs.infos.isEmpty() && !vm.tasks().isBusy());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        LoraAdapter merged = LoraAdapter.load(out);
        assertEquals(6 * 7, merged.modules().size()); // every module of every layer is targeted by some adapter
        // what the Playground's merge column applies is what was exported (the check the CLI tests share)
        robot.clickOn("Playground");
        robot.clickOn("#generate-button");
        Fx.waitUntil(120, () -> !vm.playground().runningProperty().get());
        var live = backend.liveMerge();
        try (var use = live.use("test")) {
            var s = vm.workspace().snapshot();
            live.show(s.toRecipe(true, null), io.laem.engine.progress.ProgressListener.NONE, io.laem.engine.progress.CancellationToken.NONE);
            double diff = io.laem.engine.live.MergeAgreement.maxRelativeDifference(live, out);
            assertTrue(diff < 1e-5, "live merge vs exported adapter: " + diff);
        }
    }

    @Test
    @Order(7)
    void reportThroughTheMenuHasEveryChart() throws Exception {
        Path out = dir.resolve("report");
        dialogs.paths.add(out);
        int infos = dialogs.infos.size();
        menu("File", "Export", "Report (HTML with charts as PNG)...");
        Fx.waitUntil(60, () -> dialogs.infos.size() > infos && !vm.tasks().isBusy());
        assertTrue(Files.readString(out.resolve("index.html")).contains("chart-2.png"));
        for (int i = 0; i < 3; i++) {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(out.resolve("chart-" + i + ".png").toFile());
            assertTrue(img.getWidth() > 200 && img.getHeight() > 150, "chart " + i + ": " + img.getWidth() + "x" + img.getHeight());
        }
    }

}
