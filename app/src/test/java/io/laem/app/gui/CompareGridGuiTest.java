package io.laem.app.gui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.Fx;
import io.laem.app.compare.CompareViewModel;
import io.laem.engine.live.LiveMerge;
import java.nio.file.Files;
import java.nio.file.Path;
import javafx.scene.control.Label;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The real window, headless, on the fixture kit: Run > Compare Grid..., a small grid fills in, Stop ends a large one. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CompareGridGuiTest extends FixtureWindowTest {
    @Test
    @Order(1)
    void aSmallGridFillsInThroughTheMenu() throws Exception {
        menu("Run", "Compare Grid...");
        assertEquals("Compare", window.tabs().getSelectionModel().getSelectedItem().getText());
        robot.clickOn("#compare-prompts").write("abc");
        Fx.run(() -> {
            vm.compare().examplesPerTaskProperty().set(1);
            vm.compare().maxTokensProperty().set(4);
        });
        robot.clickOn("#compare-adapter-reverse"); // untick "reverse alone"
        robot.clickOn("#compare-run");
        Fx.waitUntil(120, () -> !vm.compare().runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        CompareViewModel.Sheet sheet = vm.compare().sheetProperty().get();
        assertEquals(1 + 3, sheet.spec().rows().size());
        assertEquals(4, sheet.spec().columns().size()); // base, arith, upper, current
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                Label cell = robot.lookup("#cell-" + r + "-" + c).queryAs(Label.class);
                String text = vm.compare().result().cell(r, c).text();
                assertTrue(cell.getText().endsWith(text) && !cell.getText().isEmpty(), r + "," + c + ": " + cell.getText());
            }
        }
        Label status = robot.lookup("#compare-status").queryAs(Label.class);
        assertTrue(status.getText().startsWith("done: 16 of 16 cells"), status.getText());
        assertFalse(robot.lookup("#compare-export-html").queryButton().isDisabled());
        // Export PNG...: the grid as drawn
        Path png = dir.resolve("grid.png");
        dialogs.paths.add(png);
        robot.clickOn("#compare-export-png");
        Fx.waitUntil(30, () -> Files.exists(png) && !vm.tasks().isBusy());
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        javafx.scene.Node grid = robot.lookup("#compare-grid").query();
        assertEquals(Math.ceil(grid.getLayoutBounds().getWidth()), img.getWidth(), 1.0);
        assertTrue(img.getHeight() > 4 * 20, "a header and four rows: " + img.getHeight());
    }

    @Test
    @Order(2)
    void stopEndsALargeGridAndTheLiveMergeShowsWhatItShowedBefore() {
        LiveMerge live = backend.liveMerge();
        LiveMerge.Shown before;
        try (LiveMerge.Use u = live.use("test")) {
            before = live.shown();
        }
        Fx.run(() -> {
            vm.compare().examplesPerTaskProperty().set(4);
            vm.compare().maxTokensProperty().set(400);
        });
        robot.clickOn("#compare-run");
        Fx.waitUntil(120, () -> vm.compare().result() != null && vm.compare().result().spec().rows().size() == 13
                && vm.compare().result().filled() >= 1);
        robot.clickOn("#compare-stop");
        Fx.waitUntil(60, () -> !vm.compare().runningProperty().get());
        int filled = vm.compare().result().filled();
        assertTrue(filled < 13 * 4, "stopped before the end: " + filled);
        Label status = robot.lookup("#compare-status").queryAs(Label.class);
        assertTrue(status.getText().startsWith("stopped: " + filled + " of 52 cells"), status.getText());
        Label last = robot.lookup("#cell-12-3").queryAs(Label.class);
        assertEquals("stopped", last.getText());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        try (LiveMerge.Use u = live.use("test")) {
            assertEquals(before.weights(), live.weights());
            assertEquals(before.plan() == null ? null : before.plan().key(), live.shownPlan());
        }
    }

}
