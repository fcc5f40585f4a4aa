package io.laem.app.optimize;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import io.laem.app.core.Optimization;
import io.laem.engine.optimize.Parameterization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/** Optimizer settings, Start/Stop, the live objective chart and the comparison table. */
public final class OptimizeView extends BorderPane {
    /** How the search spaces read in the chooser. */
    static final Map<Parameterization.Kind, String> LABELS = Map.of(Parameterization.Kind.PER_TASK, "per task",
            Parameterization.Kind.CURVE, "control points", Parameterization.Kind.PER_LAYER, "per layer",
            Parameterization.Kind.PER_LAYER_KIND, "per layer and kind", Parameterization.Kind.PER_LAYER_MODULE, "per layer and module");
    private static final String[] TASK_COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private final XYChart chart;
    private final DoubleDataSet best = new DoubleDataSet("best objective");
    private final DoubleDataSet objective = new DoubleDataSet("objective");
    private final Map<String, DoubleDataSet> perTask = new LinkedHashMap<>();
    private final ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
    private final TableView<Integer> results = new TableView<>();
    private final javafx.scene.chart.BarChart<String, Number> tradeOff =
            new javafx.scene.chart.BarChart<>(new javafx.scene.chart.CategoryAxis(), new javafx.scene.chart.NumberAxis());

    public OptimizeView(OptimizeViewModel vm) {
        setId("optimize-view");
        ComboBox<Parameterization.Kind> param = new ComboBox<>();
        param.getItems().setAll(Parameterization.Kind.values());
        param.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Parameterization.Kind k) {
                return k == null ? "" : LABELS.get(k);
            }

            @Override
            public Parameterization.Kind fromString(String s) {
                return null;
            }
        });
        param.valueProperty().bindBidirectional(vm.parameterizationProperty());
        param.setId("parameterization-box");
        Spinner<Integer> points = new Spinner<>(1, 64, vm.controlPointsProperty().get());
        points.getValueFactory().valueProperty().addListener((o, a, b) -> vm.controlPointsProperty().set(b));
        points.setPrefWidth(70);
        points.disableProperty().bind(vm.parameterizationProperty().isNotEqualTo(Parameterization.Kind.CURVE));
        Spinner<Integer> budget = new Spinner<>(2, 100000, vm.budgetProperty().get(), 10);
        budget.setId("budget-spinner");
        budget.setEditable(true);
        budget.setPrefWidth(96);
        budget.getValueFactory().valueProperty().addListener((o, a, b) -> vm.budgetProperty().set(b));
        vm.budgetProperty().addListener((o, a, b) -> budget.getValueFactory().setValue(b.intValue()));
        TextField seed = new TextField(Long.toString(vm.seedProperty().get()));
        seed.setPrefColumnCount(6);
        seed.textProperty().addListener((o, a, b) -> {
            try {
                vm.seedProperty().set(Long.parseLong(b.trim()));
            } catch (NumberFormatException e) {
                // keep the last valid seed
            }
        });
        Button start = new Button("Start");
        start.setId("optimize-start");
        start.setDefaultButton(true);
        start.disableProperty().bind(vm.runningProperty());
        start.setOnAction(e -> vm.start());
        Button stop = new Button("Stop");
        stop.setId("optimize-stop");
        stop.disableProperty().bind(vm.runningProperty().not());
        stop.setOnAction(e -> vm.stop());
        Button evaluate = new Button("Evaluate");
        evaluate.disableProperty().bind(vm.runningProperty());
        evaluate.setOnAction(e -> vm.evaluate());
        Button apply = new Button("Apply");
        apply.setId("optimize-apply");
        apply.disableProperty().bind(vm.comparisonProperty().isNull().or(vm.runningProperty()));
        apply.setOnAction(e -> vm.apply());
        HBox bar = new HBox(8, new Label("Search space"), param, new Label("points"), points, new Label("Budget"), budget,
                new Label("Seed"), seed, start, stop, evaluate, apply);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(6));
        // the task balance: each task's weight in the objective's mean
        HBox balance = new HBox(6);
        balance.setId("task-balance");
        balance.setAlignment(Pos.CENTER_LEFT);
        balance.setPadding(new Insets(0, 6, 4, 6));
        Runnable fillBalance = () -> {
            balance.getChildren().setAll(new Label("Task balance"));
            for (OptimizeViewModel.TaskWeight t : vm.taskWeights()) {
                Spinner<Double> w = new Spinner<>(0.0, 100.0, t.weightProperty().get(), 0.5);
                w.setId("task-weight-" + t.task());
                w.setEditable(true);
                w.setPrefWidth(80);
                w.disableProperty().bind(vm.runningProperty());
                w.getValueFactory().valueProperty().addListener((o, a, b) -> {
                    if (b != null) {
                        t.weightProperty().set(b);
                    }
                });
                balance.getChildren().addAll(new Label(t.task()), w);
            }
        };
        fillBalance.run();
        vm.taskWeights().addListener((ListChangeListener<OptimizeViewModel.TaskWeight>) c -> fillBalance.run());
        Label summary = new Label();
        summary.setId("optimize-summary");
        summary.textProperty().bind(vm.summaryProperty());
        summary.setPadding(new Insets(0, 6, 4, 6));
        setTop(new VBox(bar, balance, summary));

        DefaultNumericAxis x = new DefaultNumericAxis("evaluations");
        DefaultNumericAxis y = new DefaultNumericAxis("objective (mean validation NLL)");
        x.setAutoRangeRounding(false);
        x.setUnit(null);
        y.setUnit(null);
        y.setForceZeroInRange(false);
        chart = new XYChart(x, y);
        chart.setId("optimize-chart");
        chart.setTitle("Best objective against evaluations");
        chart.setAnimated(false);
        renderer.setPolyLineStyle(LineStyle.NORMAL);
        renderer.setDrawMarker(false);
        renderer.setErrorStyle(io.fair_acc.chartfx.renderer.ErrorStyle.NONE);
        best.setStyle("-fx-line-color: black; -fx-line-width: 3");
        objective.setStyle("-fx-line-color: #aaaaaa; -fx-line-width: 1");
        renderer.getDatasets().setAll(objective, best);
        chart.getRenderers().setAll(renderer);
        vm.events().addListener((ListChangeListener<Optimization.Event>) c -> {
            while (c.next()) {
                if (c.wasRemoved() && vm.events().isEmpty()) {
                    clearChart();
                }
                for (Optimization.Event e : c.getAddedSubList()) {
                    add(e);
                }
            }
        });

        results.setId("comparison-table");
        results.setPlaceholder(new Label("After a run (or Run > Evaluate): base, each adapter, uniform, TIES and LAEM per task."));
        results.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_ALL_COLUMNS);
        vm.comparisonProperty().addListener((o, a, b) -> showComparison(b));
        tradeOff.setId("trade-off-chart");
        tradeOff.setTitle("Per task: the found merge against the task's own adapter");
        tradeOff.setAnimated(false);
        tradeOff.setLegendVisible(true);
        tradeOff.setMinWidth(260);
        vm.tradeOffProperty().addListener((o, a, b) -> showTradeOff(b));
        SplitPane bottom = new SplitPane(results, tradeOff);
        bottom.setDividerPositions(0.62);
        SplitPane split = new SplitPane(chart, bottom);
        split.setOrientation(javafx.geometry.Orientation.VERTICAL);
        split.setDividerPositions(0.62);
        setCenter(split);
    }

    private void clearChart() {
        best.clearData();
        objective.clearData();
        perTask.clear();
        renderer.getDatasets().setAll(objective, best);
    }

    private void add(Optimization.Event e) {
        best.add(e.evaluation(), e.best());
        objective.add(e.evaluation(), e.objective());
        for (Map.Entry<String, Double> t : e.taskScores().entrySet()) {
            DoubleDataSet ds = perTask.computeIfAbsent(t.getKey(), k -> {
                DoubleDataSet d = new DoubleDataSet(k);
                d.setStyle("-fx-line-color: " + TASK_COLORS[perTask.size() % TASK_COLORS.length] + "; -fx-line-width: 1.5; -fx-line-dash-array: 4 3");
                renderer.getDatasets().add(d);
                return d;
            });
            ds.add(e.evaluation(), t.getValue());
        }
    }

    private void showComparison(Optimization.Comparison c) {
        results.getColumns().clear();
        results.getItems().clear();
        if (c == null) {
            return;
        }
        TableColumn<Integer, String> method = new TableColumn<>("method (" + c.metric() + ")");
        method.setCellValueFactory(r -> new ReadOnlyStringWrapper(c.methods().get(r.getValue())));
        method.setPrefWidth(170);
        results.getColumns().add(method);
        List<String> cols = new ArrayList<>(c.tasks());
        for (int t = 0; t < cols.size(); t++) {
            int ti = t;
            TableColumn<Integer, String> col = new TableColumn<>(cols.get(t));
            boolean em = cols.get(t).endsWith(" EM");
            col.setCellValueFactory(r -> {
                double v = c.values()[r.getValue()][ti];
                return new ReadOnlyStringWrapper(em ? String.format(Locale.ROOT, "%.0f%%", 100 * v) : String.format(Locale.ROOT, "%.3f", v));
            });
            col.setStyle("-fx-alignment: CENTER-RIGHT;");
            col.setPrefWidth(100);
            results.getColumns().add(col);
        }
        for (int m = 0; m < c.methods().size(); m++) {
            results.getItems().add(m);
        }
    }

    /** A bar per task for the found merge and one for the task's adapter, in the comparison's metric. */
    private void showTradeOff(List<Optimization.TaskTradeOff> rows) {
        var merged = new javafx.scene.chart.XYChart.Series<String, Number>();
        merged.setName("found merge");
        var own = new javafx.scene.chart.XYChart.Series<String, Number>();
        own.setName("task's own adapter");
        for (Optimization.TaskTradeOff t : rows) {
            merged.getData().add(new javafx.scene.chart.XYChart.Data<>(t.task(), t.merged()));
            if (!Double.isNaN(t.adapter())) {
                own.getData().add(new javafx.scene.chart.XYChart.Data<>(t.task(), t.adapter()));
            }
        }
        tradeOff.getData().setAll(List.of(merged, own));
    }

    /** The per-task trade-off bars. */
    public javafx.scene.chart.BarChart<String, Number> tradeOffChart() {
        return tradeOff;
    }

    public XYChart chart() {
        return chart;
    }
}
