package io.laem.app.gui;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.Fx;
import io.laem.app.core.WeightTable;
import io.laem.engine.session.HistoryEntry;
import java.util.List;
import javafx.scene.control.TableView;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The real window, headless: Run > Evaluate fills the History panel; Recall and Undo recall there move the weights. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HistoryGuiTest extends FixtureWindowTest {
    @Test
    @Order(1)
    void runEvaluateAddsTheScoredMergeToTheHistoryPanel() {
        // Run > Evaluate (Validation); down first: moving along the menu bar would open the View menu
        for (String text : new String[] {"Run", "Evaluate (Validation)"}) {
            javafx.scene.Node n = robot.lookup(text).match((javafx.scene.Node x) -> x.getScene() != null
                    && x.getScene().getWindow() != null && x.getScene().getWindow().isShowing()).query();
            robot.clickOn(n, org.testfx.robot.Motion.VERTICAL_FIRST);
        }
        assertEquals("History", window.tabs().getSelectionModel().getSelectedItem().getText());
        Fx.waitUntil(60, () -> vm.workspace().history().size() == 1 && !vm.tasks().isBusy());
        assertEquals(List.of(), dialogs.errors);
        TableView<?> table = robot.lookup("#history-table").queryAs(TableView.class);
        assertEquals(1, table.getItems().size());
        // number, label, time, why, merge, then a column group per task (EM, NLL)
        List<String> headers = table.getColumns().stream().map(c -> c.getText()).toList();
        assertEquals(List.of("#", "label", "kept", "why", "merge", "arith", "reverse", "upper"), headers);
        assertEquals("evaluated · validation", table.getColumns().get(3).getCellData(0));
        assertTrue(window.stage().getTitle().startsWith("*session.yaml"), window.stage().getTitle());
    }

    @Test
    @Order(2)
    void recallAndUndoRecallInThePanelMoveTheWeights() {
        WeightTable w = vm.workspace().weights();
        double[][][] evaluated = w.values();
        Fx.run(() -> {
            w.applyPreset(WeightTable.Preset.RAMP_UP);
            vm.workspace().adapters().get(0).enabledProperty().set(false);
        });
        double[][][] changed = w.values();
        robot.clickOn("#history-table .table-row-cell");
        robot.clickOn("#history-recall");
        assertArrayEquals(evaluated, w.values());
        assertTrue(vm.workspace().adapters().get(0).isEnabled());
        HistoryEntry e = vm.workspace().history().get(0);
        assertEquals(e.recipe(), vm.workspace().snapshot().toRecipe(true, null));
        robot.clickOn("#history-undo-recall");
        assertArrayEquals(changed, w.values());
        assertFalse(vm.workspace().adapters().get(0).isEnabled());
        assertTrue(robot.lookup("#history-undo-recall").queryButton().isDisabled());
    }

    @Test
    @Order(3)
    void aLabelIsEditedInTheTable() {
        robot.doubleClickOn("evaluated on validation");
        robot.push(javafx.scene.input.KeyCode.CONTROL, javafx.scene.input.KeyCode.A).write("baseline").push(javafx.scene.input.KeyCode.ENTER);
        Fx.waitUntil(10, () -> vm.workspace().history().get(0).label().equals("baseline"));
        TableView<?> table = robot.lookup("#history-table").queryAs(TableView.class);
        assertEquals("baseline", table.getColumns().get(1).getCellData(0));
        for (int t = 5; t < 8; t++) {
            assertEquals(List.of("EM", "NLL"), table.getColumns().get(t).getColumns().stream().map(c -> c.getText()).toList());
        }
    }
}
