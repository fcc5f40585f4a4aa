package io.laem.app.session;

import io.laem.app.core.AdapterEntry;
import io.laem.app.core.TaskEntry;
import java.util.Locale;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.ColorPicker;
import javafx.scene.control.Label;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.control.cell.CheckBoxTableCell;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;

/** The session panel on the left of the window. */
public final class SessionView extends VBox {
    public SessionView(SessionViewModel vm) {
        setId("session-view");
        setSpacing(6);
        setPadding(new Insets(8));
        setMinWidth(260);

        Label baseTitle = heading("Base model");
        Label base = new Label();
        base.setId("base-description");
        base.setWrapText(true);
        base.textProperty().bind(vm.baseDescriptionProperty());

        TableView<AdapterEntry> adapters = new TableView<>(vm.adapters());
        adapters.setId("adapters-table");
        adapters.setEditable(true);
        adapters.setPlaceholder(new Label("No adapters (File > Add Adapter...)"));
        TableColumn<AdapterEntry, Boolean> on = new TableColumn<>("On");
        on.setCellValueFactory(c -> c.getValue().enabledProperty());
        on.setCellFactory(CheckBoxTableCell.forTableColumn(on));
        on.setEditable(true);
        on.setPrefWidth(36);
        TableColumn<AdapterEntry, Color> color = new TableColumn<>("Color");
        color.setCellValueFactory(c -> c.getValue().colorProperty());
        color.setCellFactory(c -> new ColorCell());
        color.setPrefWidth(52);
        TableColumn<AdapterEntry, String> name = new TableColumn<>("Adapter");
        name.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().name()));
        name.setPrefWidth(96);
        TableColumn<AdapterEntry, Number> rank = new TableColumn<>("Rank");
        rank.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue().rank()));
        rank.setPrefWidth(44);
        TableColumn<AdapterEntry, String> scale = new TableColumn<>("Scale");
        scale.setCellValueFactory(c -> new ReadOnlyStringWrapper(String.format(Locale.ROOT, "%.3g", c.getValue().scale())));
        scale.setPrefWidth(50);
        adapters.getColumns().setAll(java.util.List.of(on, color, name, rank, scale));
        adapters.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        VBox.setVgrow(adapters, Priority.ALWAYS);

        Button addAdapter = new Button("Add...");
        addAdapter.setOnAction(e -> vm.addAdapter());
        Button removeAdapter = new Button("Remove");
        removeAdapter.disableProperty().bind(adapters.getSelectionModel().selectedItemProperty().isNull());
        removeAdapter.setOnAction(e -> vm.removeAdapter(adapters.getSelectionModel().getSelectedItem()));

        TableView<TaskEntry> taskTable = new TableView<>(vm.taskData());
        taskTable.setId("tasks-table");
        taskTable.setPlaceholder(new Label("No task data (File > Add Task Data...)"));
        TableColumn<TaskEntry, String> tname = new TableColumn<>("Task");
        tname.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().name()));
        TableColumn<TaskEntry, Number> tn = new TableColumn<>("Examples");
        tn.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue().examples()));
        taskTable.getColumns().setAll(java.util.List.of(tname, tn));
        taskTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        taskTable.setPrefHeight(160);
        taskTable.setRowFactory(tv -> {
            var row = new javafx.scene.control.TableRow<TaskEntry>();
            row.itemProperty().addListener((o, a, b) -> row.setTooltip(b == null ? null : new Tooltip(b.file().toString())));
            return row;
        });
        Button addTask = new Button("Add...");
        addTask.setOnAction(e -> vm.addTaskData());
        Button removeTask = new Button("Remove");
        removeTask.disableProperty().bind(taskTable.getSelectionModel().selectedItemProperty().isNull());
        removeTask.setOnAction(e -> vm.removeTaskData(taskTable.getSelectionModel().getSelectedItem()));

        getChildren().addAll(baseTitle, base, heading("Adapters"), adapters, new HBox(6, addAdapter, removeAdapter),
                heading("Task data"), taskTable, new HBox(6, addTask, removeTask));
    }

    private static Label heading(String text) {
        Label l = new Label(text);
        l.setStyle("-fx-font-weight: bold; -fx-padding: 4 0 0 0;");
        return l;
    }

    /** A color picker bound to the adapter's color. */
    private static final class ColorCell extends TableCell<AdapterEntry, Color> {
        private final ColorPicker picker = new ColorPicker();

        ColorCell() {
            picker.setStyle("-fx-color-label-visible: false;");
            picker.setMaxWidth(Double.MAX_VALUE);
            picker.setOnAction(e -> {
                AdapterEntry a = getTableRow() == null ? null : getTableRow().getItem();
                if (a != null) {
                    a.colorProperty().set(picker.getValue());
                }
            });
        }

        @Override
        protected void updateItem(Color c, boolean empty) {
            super.updateItem(c, empty);
            if (empty || c == null) {
                setGraphic(null);
            } else {
                picker.setValue(c);
                setGraphic(picker);
            }
        }
    }
}
