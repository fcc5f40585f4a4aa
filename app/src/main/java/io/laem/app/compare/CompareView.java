package io.laem.app.compare;

import io.laem.engine.compare.Cell;
import io.laem.engine.compare.GridSpec;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/** The comparison grid: rows and columns to choose, Run/Stop with progress, the cells filling in, export. */
public final class CompareView extends BorderPane {
    static final double CELL_WIDTH = 130;
    private final GridPane grid = new GridPane();
    private final FlowPane taskBoxes = new FlowPane(8, 4);
    private final FlowPane columnBoxes = new FlowPane(8, 4);

    public CompareView(CompareViewModel vm) {
        setId("compare-view");
        TextArea prompts = new TextArea();
        prompts.setId("compare-prompts");
        prompts.setPromptText("Prompts, one per line (rows without a reference)");
        prompts.setPrefRowCount(3);
        prompts.setPrefColumnCount(28);
        prompts.textProperty().bindBidirectional(vm.promptsProperty());
        Spinner<Integer> examples = new Spinner<>(0, 1000, vm.examplesPerTaskProperty().get());
        examples.setId("compare-examples");
        examples.setPrefWidth(80);
        examples.setEditable(true);
        examples.getValueFactory().valueProperty().addListener((o, a, b) -> vm.examplesPerTaskProperty().set(b));
        vm.examplesPerTaskProperty().addListener((o, a, b) -> examples.getValueFactory().setValue(b.intValue()));
        VBox rows = new VBox(4, label("Rows"), prompts, new HBox(6, new Label("and the first"), examples,
                new Label("test examples of")), taskBoxes);
        ((HBox) rows.getChildren().get(2)).setAlignment(Pos.CENTER_LEFT);

        TextField sweep = new TextField();
        sweep.setId("compare-sweep");
        sweep.setPromptText("sweep, e.g. shift=0,0.5,1 or shift@0-3:mlp=0,1");
        sweep.setPrefColumnCount(22);
        sweep.textProperty().bindBidirectional(vm.sweepProperty());
        sweep.setTooltip(new javafx.scene.control.Tooltip("One column per value of one weight, the rest of the merge as it is:\n"
                + "shift=0,0.5,1  the shift adapter on every layer\n"
                + "shift@0-3=0,1  on layers 0 to 3 only\n"
                + "shift@2:mlp=0,2  on the MLP modules of layer 2 (:attn for attention)\n"
                + "*@0-1=0,1  every adapter on layers 0-1"));
        Spinner<Integer> max = new Spinner<>(1, 4096, vm.maxTokensProperty().get(), 8);
        max.setPrefWidth(86);
        max.getValueFactory().valueProperty().addListener((o, a, b) -> vm.maxTokensProperty().set(b));
        vm.maxTokensProperty().addListener((o, a, b) -> max.getValueFactory().setValue(b.intValue()));
        HBox sweepRow = new HBox(6, new Label("Sweep"), sweep, new Label("Max tokens"), max);
        sweepRow.setAlignment(Pos.CENTER_LEFT);
        VBox cols = new VBox(4, label("Columns"), columnBoxes, sweepRow);
        HBox.setHgrow(cols, Priority.ALWAYS);

        Button run = new Button("Run");
        run.setId("compare-run");
        run.disableProperty().bind(vm.runningProperty());
        run.setOnAction(e -> vm.run());
        Button stop = new Button("Stop");
        stop.setId("compare-stop");
        stop.disableProperty().bind(vm.runningProperty().not());
        stop.setOnAction(e -> vm.stop());
        ProgressBar bar = new ProgressBar();
        bar.setId("compare-progress");
        bar.progressProperty().bind(vm.progressProperty());
        bar.setPrefWidth(160);
        Label status = new Label();
        status.setId("compare-status");
        status.textProperty().bind(vm.statusProperty());
        Button html = new Button("Export HTML...");
        html.setId("compare-export-html");
        html.disableProperty().bind(vm.sheetProperty().isNull());
        html.setOnAction(e -> vm.exportHtml());
        Button png = new Button("Export PNG...");
        png.setId("compare-export-png");
        png.disableProperty().bind(vm.sheetProperty().isNull());
        png.setOnAction(e -> vm.exportPng());
        HBox actions = new HBox(8, run, stop, bar, status);
        actions.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(status, Priority.ALWAYS);
        status.setMaxWidth(Double.MAX_VALUE);
        HBox exports = new HBox(8, html, png);
        BorderPane actionBar = new BorderPane(actions, null, exports, null, null);

        HBox choose = new HBox(16, rows, cols);
        VBox top = new VBox(6, choose, actionBar);
        top.setPadding(new Insets(6));
        setTop(top);

        grid.setId("compare-grid");
        grid.setHgap(0);
        grid.setVgap(0);
        grid.setPadding(new Insets(6));
        grid.setStyle("-fx-background-color: white;");
        ScrollPane scroll = new ScrollPane(grid);
        setCenter(scroll);

        vm.taskChoices().addListener((ListChangeListener<CompareViewModel.Choice>) c -> fill(taskBoxes, vm.taskChoices()));
        vm.columnChoices().addListener((ListChangeListener<CompareViewModel.Choice>) c -> fill(columnBoxes, vm.columnChoices()));
        fill(taskBoxes, vm.taskChoices());
        fill(columnBoxes, vm.columnChoices());
        vm.sheetProperty().addListener((o, a, b) -> draw(b));
        vm.setSnapshotSource(() -> io.laem.app.shell.MainWindow.png(grid));
    }

    private static Label label(String text) {
        Label l = new Label(text);
        l.setStyle("-fx-font-weight: bold;");
        return l;
    }

    private static void fill(FlowPane pane, java.util.List<CompareViewModel.Choice> choices) {
        pane.getChildren().clear();
        for (CompareViewModel.Choice c : choices) {
            CheckBox b = new CheckBox(c.label());
            b.setId("compare-" + c.kind().name().toLowerCase() + "-" + c.name());
            b.setMnemonicParsing(false);
            b.selectedProperty().bindBidirectional(c.selectedProperty());
            pane.getChildren().add(b);
        }
    }

    /** The sheet: a header row of merges, then a row per prompt (label, prompt, reference) and its cells. */
    private void draw(CompareViewModel.Sheet sheet) {
        grid.getChildren().clear();
        if (sheet == null) {
            return;
        }
        GridSpec spec = sheet.spec();
        boolean refs = spec.rows().stream().anyMatch(GridSpec.Row::hasReference);
        grid.add(header("prompt"), 0, 0);
        if (refs) {
            grid.add(header("reference"), 1, 0);
        }
        int first = refs ? 2 : 1;
        for (int c = 0; c < spec.columns().size(); c++) {
            grid.add(header(spec.columns().get(c).label()), first + c, 0);
        }
        for (int r = 0; r < spec.rows().size(); r++) {
            GridSpec.Row row = spec.rows().get(r);
            Label head = box(row.label() + "\n" + row.prompt(), "-fx-background-color: #f2f2f2;");
            head.setStyle(head.getStyle() + "-fx-font-family: monospace;");
            grid.add(head, 0, r + 1);
            if (refs) {
                grid.add(box(row.hasReference() ? row.reference() : "", "-fx-font-family: monospace;"), 1, r + 1);
            }
            for (int c = 0; c < spec.columns().size(); c++) {
                grid.add(cell(sheet.cell(r, c), "cell-" + r + "-" + c), first + c, r + 1);
            }
        }
    }

    private static Label header(String text) {
        Label l = box(text, "-fx-background-color: #e4e4e4; -fx-font-weight: bold;");
        l.setMnemonicParsing(false);
        return l;
    }

    private static Label box(String text, String style) {
        Label l = new Label(text);
        l.setMnemonicParsing(false);
        l.setWrapText(true);
        l.setMinWidth(CELL_WIDTH * 0.8);
        l.setPrefWidth(CELL_WIDTH);
        l.setMaxWidth(Double.MAX_VALUE);
        l.setMaxHeight(Double.MAX_VALUE);
        l.setAlignment(Pos.TOP_LEFT);
        l.setPadding(new Insets(4, 6, 4, 6));
        l.setStyle("-fx-border-color: #c8c8c8; -fx-border-width: 0 1 1 0; " + style);
        return l;
    }

    private static Label cell(CompareViewModel.CellView v, String id) {
        Label l = box("", "");
        l.setId(id);
        Runnable update = () -> {
            String mark = v.checkProperty().get().mark();
            String text = (mark.isEmpty() ? "" : mark + " ") + v.textProperty().get()
                    + (v.noteProperty().get().isEmpty() ? "" : "\n(" + v.noteProperty().get() + ")");
            l.setText(switch (v.stateProperty().get()) {
                case WAITING -> "";
                case STOPPED -> v.textProperty().get().isEmpty() ? "stopped" : text;
                default -> text;
            });
            String bg = switch (v.stateProperty().get()) {
                case WAITING -> "white";
                case RUNNING -> "#fff7d6";
                case STOPPED -> "#f0f0f0";
                case DONE -> v.checkProperty().get() == Cell.Check.MATCH ? "#e5f5e0"
                        : v.checkProperty().get() == Cell.Check.MISMATCH ? "#fde0dd" : "white";
            };
            l.setStyle("-fx-border-color: #c8c8c8; -fx-border-width: 0 1 1 0; -fx-font-family: monospace; -fx-background-color: " + bg + ";");
        };
        v.textProperty().addListener((o, a, b) -> update.run());
        v.checkProperty().addListener((o, a, b) -> update.run());
        v.noteProperty().addListener((o, a, b) -> update.run());
        v.stateProperty().addListener((o, a, b) -> update.run());
        update.run();
        return l;
    }
}
