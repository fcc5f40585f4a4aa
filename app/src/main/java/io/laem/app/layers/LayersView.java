package io.laem.app.layers;

import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TextArea;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/** Heatmaps of layers x adapters with the metric and module pickers and a details pane. */
public final class LayersView extends BorderPane {
    private final HeatmapChart chart = new HeatmapChart();

    public LayersView(LayersViewModel vm) {
        setId("layers-view");
        ComboBox<String> metric = new ComboBox<>(vm.metrics());
        metric.setId("metric-box");
        metric.valueProperty().bindBidirectional(vm.metricProperty());
        metric.setPrefWidth(220);
        ComboBox<String> filter = new ComboBox<>(vm.moduleFilters());
        filter.setId("module-filter-box");
        filter.valueProperty().bindBidirectional(vm.moduleFilterProperty());
        Button analyze = new Button("Analyze");
        analyze.setId("analyze-button");
        analyze.setOnAction(e -> vm.analyze());
        HBox bar = new HBox(8, new Label("Metric"), metric, new Label("Modules"), filter, analyze);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(6));
        setTop(bar);

        chart.setId("heatmap-chart");
        chart.setTitle("");
        Label empty = new Label();
        empty.setId("layers-empty");
        empty.textProperty().bind(vm.emptyMessageProperty());
        javafx.scene.control.ProgressBar bar2 = new javafx.scene.control.ProgressBar();
        bar2.progressProperty().bind(vm.analysisProgressProperty());
        bar2.visibleProperty().bind(vm.analyzingProperty());
        bar2.managedProperty().bind(vm.analyzingProperty());
        bar2.setPrefWidth(220);
        VBox emptyBox = new VBox(8, empty, bar2);
        emptyBox.setAlignment(Pos.CENTER);
        emptyBox.setMouseTransparent(true);
        emptyBox.visibleProperty().bind(vm.heatmapProperty().isNull());
        chart.visibleProperty().bind(vm.heatmapProperty().isNotNull()); // no stale cells behind "Analysis running…"
        chart.visibleProperty().addListener((o, was, shown) -> {
            if (shown) {
                chart.invalidate(); // redrawn with the data set while it was hidden
            }
        });
        StackPane chartPane = new StackPane(chart, emptyBox);
        vm.heatmapProperty().addListener((o, a, h) -> {
            chart.show(h);
            chart.setTitle(h == null ? "" : h.metric() + " per layer (" + h.moduleFilter() + ")");
        });
        chart.show(vm.heatmapProperty().get());
        chart.onCell(vm::hover, vm::select);

        Label hover = new Label();
        hover.setId("hover-label");
        hover.textProperty().bind(vm.hoverProperty());
        TextArea details = new TextArea();
        details.setId("module-details");
        details.setEditable(false);
        details.setWrapText(true);
        details.setStyle("-fx-font-family: monospace;");
        details.textProperty().bind(vm.detailsProperty());
        VBox side = new VBox(6, new Label("Module details"), details);
        side.setPadding(new Insets(6));
        VBox.setVgrow(details, javafx.scene.layout.Priority.ALWAYS);
        SplitPane split = new SplitPane(chartPane, side);
        split.setDividerPositions(0.64);
        setCenter(split);
        HBox bottom = new HBox(hover);
        bottom.setPadding(new Insets(4, 6, 4, 6));
        setBottom(bottom);
    }

    /** The heatmap, for reports and tests. */
    public HeatmapChart chart() {
        return chart;
    }
}
