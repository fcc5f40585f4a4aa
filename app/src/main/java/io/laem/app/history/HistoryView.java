package io.laem.app.history;

import io.laem.engine.eval.TaskScore;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.session.HistoryEntry;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.SelectionMode;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.control.cell.TextFieldTableCell;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;

/** The History panel: the kept merges with their scores, recall, undo, and a weight diff of two. */
public final class HistoryView extends BorderPane {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private final HistoryViewModel vm;
    private final TableView<HistoryEntry> table = new TableView<>();
    private final DiffHeatmap heatmap = new DiffHeatmap();
    private final ComboBox<HistoryEntry> compare = new ComboBox<>();
    private final Label diffTitle = new Label();
    private java.util.List<String> shownTasks;

    public HistoryView(HistoryViewModel vm) {
        this.vm = vm;
        setId("history-view");
        Button evalVal = button("Evaluate (validation)", "history-evaluate", () -> vm.evaluate(HistoryViewModel.VALIDATION));
        Button evalTest = button("Evaluate (test)", "history-evaluate-test", () -> vm.evaluate(HistoryViewModel.TEST));
        Button stop = button("Stop", "history-stop", vm::stopEvaluation);
        evalVal.disableProperty().bind(vm.evaluatingProperty());
        evalTest.disableProperty().bind(vm.evaluatingProperty());
        stop.disableProperty().bind(vm.evaluatingProperty().not());
        Button keep = button("Keep current", "history-keep", vm::keepCurrent);
        keep.setTooltip(new Tooltip("Adds the current merge to the history without evaluating it"));
        Button recall = button("Recall", "history-recall", vm::recallSelected);
        recall.setTooltip(new Tooltip("Makes the selected merge the current one (settings, adapters, weights)"));
        recall.disableProperty().bind(vm.selectedProperty().isNull());
        Button undo = button("Undo recall", "history-undo-recall", vm::undoRecall);
        undo.disableProperty().bind(vm.canUndoRecallProperty().not());
        Button remove = button("Remove", "history-remove", () -> {
            if (vm.selectedProperty().get() != null) {
                vm.remove(vm.selectedProperty().get());
            }
        });
        remove.disableProperty().bind(vm.selectedProperty().isNull());
        Label status = new Label();
        status.setId("history-status");
        status.textProperty().bind(vm.statusProperty());
        Region grow = new Region();
        HBox.setHgrow(grow, Priority.ALWAYS);
        HBox bar = new HBox(6, evalVal, evalTest, stop, keep, recall, undo, remove, grow, status);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(6));

        table.setId("history-table");
        table.setEditable(true);
        table.getSelectionModel().setSelectionMode(SelectionMode.SINGLE);
        table.setItems(vm.entries());
        table.setPlaceholder(new Label("No merges kept yet: Run > Evaluate, apply an optimizer result, export, or Keep current."));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> vm.selectedProperty().set(b));
        vm.selectedProperty().addListener((o, a, b) -> {
            if (table.getSelectionModel().getSelectedItem() != b) {
                table.getSelectionModel().select(b);
            }
        });
        table.setRowFactory(t -> {
            var row = new javafx.scene.control.TableRow<HistoryEntry>();
            row.setOnMouseClicked(e -> {
                if (e.getClickCount() == 2 && row.getItem() != null) {
                    vm.tryRecall(row.getItem());
                }
            });
            return row;
        });
        // columns change only with the set of scored tasks (not under a label's edit commit)
        vm.entries().addListener((ListChangeListener<HistoryEntry>) c -> {
            if (!vm.scoredTasks().equals(shownTasks)) {
                columns();
            }
        });
        columns();

        compare.setId("history-compare");
        compare.setItems(vm.entries());
        compare.setConverter(new StringConverter<>() {
            @Override
            public String toString(HistoryEntry e) {
                return HistoryViewModel.describe(e);
            }

            @Override
            public HistoryEntry fromString(String s) {
                return null;
            }
        });
        compare.valueProperty().bindBidirectional(vm.compareWithProperty());
        compare.setPromptText("an entry");
        HBox diffBar = new HBox(6, new Label("Weights of the selected merge minus"), compare, diffTitle);
        diffBar.setAlignment(Pos.CENTER_LEFT);
        diffBar.setPadding(new Insets(4, 6, 0, 6));
        vm.diffProperty().addListener((o, a, b) -> showDiff());
        showDiff();
        VBox diffBox = new VBox(diffBar, heatmap);
        VBox.setVgrow(heatmap, Priority.ALWAYS);

        SplitPane split = new SplitPane(table, diffBox);
        split.setOrientation(javafx.geometry.Orientation.VERTICAL);
        split.setDividerPositions(0.55);
        setTop(bar);
        setCenter(split);
    }

    private void showDiff() {
        var d = vm.diffProperty().get();
        heatmap.show(d, vm.entries().size() < 2 ? "Keep two merges to compare their weights."
                : "Select an entry above and pick another to compare with.");
        diffTitle.setText(d == null ? "" : d.maxAbs() == 0 ? "(same weights)"
                : String.format(Locale.ROOT, "(largest difference %.3g)", d.maxAbs()));
    }

    /** Columns: number, label (editable), time, why, settings, then exact match and NLL of every scored task. */
    private void columns() {
        TableColumn<HistoryEntry, String> num = text("#", e -> Integer.toString(e.number()), 40);
        TableColumn<HistoryEntry, String> label = new TableColumn<>("label");
        label.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().label()));
        label.setCellFactory(TextFieldTableCell.forTableColumn());
        label.setOnEditCommit(e -> vm.rename(e.getRowValue(), e.getNewValue()));
        label.setPrefWidth(160);
        label.setId("history-label");
        TableColumn<HistoryEntry, String> time = text("kept", e -> TIME.format(e.time()), 100);
        TableColumn<HistoryEntry, String> why = text("why", e -> e.source().key() + (e.split() == null ? "" : " · " + e.split()), 130);
        TableColumn<HistoryEntry, String> settings = text("merge", HistoryView::settings, 150);
        table.getColumns().setAll(java.util.List.of(num, label, time, why, settings));
        shownTasks = vm.scoredTasks();
        for (String t : shownTasks) {
            TableColumn<HistoryEntry, String> group = new TableColumn<>(t);
            group.getColumns().add(number("EM", e -> {
                TaskScore s = HistoryViewModel.score(e, t);
                return s == null ? null : 100 * s.exactMatch();
            }, "%.1f%%"));
            group.getColumns().add(number("NLL", e -> {
                TaskScore s = HistoryViewModel.score(e, t);
                return s == null ? null : s.meanNll();
            }, "%.4f"));
            table.getColumns().add(group);
        }
    }

    /** "ties 0.5, consensus r8": the merge method in a few words. */
    static String settings(HistoryEntry e) {
        Recipe r = e.recipe();
        String red = r.redundancy().strategy() == Recipe.Redundancy.Strategy.NONE ? "no trim"
                : r.redundancy().strategy().key() + String.format(Locale.ROOT, " %.2g", r.redundancy().density());
        String sh = r.shared().mode() == Recipe.Shared.Mode.NONE ? "" : ", shared " + r.shared().mode().key();
        return r.adapters().size() + " adapters, " + red + sh;
    }

    private static TableColumn<HistoryEntry, String> text(String title, java.util.function.Function<HistoryEntry, String> f, double width) {
        TableColumn<HistoryEntry, String> c = new TableColumn<>(title);
        c.setCellValueFactory(x -> new ReadOnlyStringWrapper(f.apply(x.getValue())));
        c.setPrefWidth(width);
        c.setEditable(false);
        return c;
    }

    private static TableColumn<HistoryEntry, Double> number(String title, java.util.function.Function<HistoryEntry, Double> f, String fmt) {
        TableColumn<HistoryEntry, Double> c = new TableColumn<>(title);
        c.setCellValueFactory(x -> new ReadOnlyObjectWrapper<>(f.apply(x.getValue())));
        c.setCellFactory(x -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(Double v, boolean empty) {
                super.updateItem(v, empty);
                setText(empty || v == null ? (empty ? null : "–") : String.format(Locale.ROOT, fmt, v));
                setAlignment(Pos.CENTER_RIGHT);
            }
        });
        c.setPrefWidth(62);
        c.setEditable(false);
        return c;
    }

    private static Button button(String text, String id, Runnable r) {
        Button b = new Button(text);
        b.setId(id);
        b.setOnAction(e -> r.run());
        return b;
    }

    public DiffHeatmap chart() {
        return heatmap;
    }
}
