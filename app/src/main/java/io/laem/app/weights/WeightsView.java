package io.laem.app.weights;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.plugins.EditDataSet;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.EditConstraints;
import io.fair_acc.dataset.spi.DoubleDataSet;
import io.laem.app.core.MergeSettings;
import io.laem.engine.io.DType;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.app.core.WeightTable;
import io.laem.engine.model.ModuleKind.Group;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.cell.TextFieldTableCell;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.util.converter.DoubleStringConverter;

/**
 * Weight curves over the layers: each point can be dragged (ChartFX EditDataSet: Ctrl+drag a box
 * around points to select them, then drag a marker) or typed in the table; the merge settings sit
 * beside them.
 */
public final class WeightsView extends BorderPane {
    private final WeightsViewModel vm;
    private final XYChart chart;
    private final DefaultNumericAxis xAxis = new io.laem.app.core.LayerAxis("layer", 28);
    private final DefaultNumericAxis yAxis = new DefaultNumericAxis("weight");
    private final ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
    private final TableView<Integer> table = new TableView<>();
    private final List<SeriesDataSet> dataSets = new ArrayList<>();
    private List<String> shownDashes = List.of();
    private final javafx.scene.layout.FlowPane legend = new javafx.scene.layout.FlowPane(14, 2);
    private boolean updating;
    private boolean fromChart;

    /** A series' points; moves by the mouse go to the view model, x stays fixed. */
    private final class SeriesDataSet extends DoubleDataSet {
        private final int series;

        SeriesDataSet(String name, int series) {
            super(name);
            this.series = series;
            setEditConstraints(new EditConstraints() {
                @Override
                public boolean canAdd(int index) {
                    return false;
                }

                @Override
                public boolean canDelete(int index) {
                    return false;
                }

                @Override
                public boolean isEditable(int dim) {
                    return dim == DIM_Y;
                }
            });
        }

        @Override
        public DoubleDataSet set(int index, double... newValue) {
            DoubleDataSet r = super.set(index, newValue);
            if (!updating && newValue.length >= 2) {
                fromChart = true; // the chart already shows the new value: do not rebuild its data under the drag
                try {
                    vm.drag(series, index, newValue[1]);
                } finally {
                    fromChart = false;
                }
            }
            return r;
        }
    }

    public WeightsView(WeightsViewModel vm) {
        this.vm = vm;
        setId("weights-view");
        xAxis.setUnit(null);
        yAxis.setUnit(null);
        xAxis.setAutoRanging(false);
        yAxis.setAutoRanging(false);
        xAxis.setAutoUnitScaling(false);
        yAxis.setAutoUnitScaling(false);
        yAxis.set(-0.05, 1.2);
        chart = new XYChart(xAxis, yAxis);
        chart.setId("weights-chart");
        chart.setTitle("Merge weight per layer");
        chart.setAnimated(false);
        chart.setLegendVisible(false); // the view's own legend says which curves lie on each other
        renderer.setPolyLineStyle(LineStyle.NORMAL);
        renderer.setDrawMarker(true);
        renderer.setErrorStyle(io.fair_acc.chartfx.renderer.ErrorStyle.NONE);
        chart.getRenderers().setAll(renderer);
        EditDataSet edit = new EditDataSet();
        chart.getPlugins().add(edit);
        installPointDrag(edit);

        table.setId("weights-table");
        table.setEditable(true);
        table.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY); // value columns share the width (below)

        ComboBox<Group> group = new ComboBox<>();
        group.getItems().setAll(Group.ATTN, Group.MLP);
        group.setId("group-box");
        group.valueProperty().bindBidirectional(vm.groupProperty());
        group.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Group g) {
                return g == null ? "" : vm.splitProperty().get() ? (g == Group.ATTN ? "attention" : "MLP") : "all modules";
            }

            @Override
            public Group fromString(String s) {
                return null;
            }
        });
        group.disableProperty().bind(vm.splitProperty().not());
        CheckBox split = new CheckBox("Attention and MLP separately");
        split.setId("split-box");
        split.selectedProperty().bindBidirectional(vm.splitProperty());
        ComboBox<WeightTable.Mode> mode = new ComboBox<>();
        mode.getItems().setAll(WeightTable.Mode.values());
        mode.setId("mode-box");
        mode.valueProperty().bindBidirectional(vm.modeProperty());
        mode.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(WeightTable.Mode m) {
                return m == WeightTable.Mode.PER_LAYER ? "per layer" : m == null ? "" : "control points";
            }

            @Override
            public WeightTable.Mode fromString(String s) {
                return null;
            }
        });
        Spinner<Integer> points = new Spinner<>(1, 64, vm.controlPointsProperty().get());
        points.setId("points-spinner");
        points.setPrefWidth(72);
        points.getValueFactory().valueProperty().addListener((o, a, b) -> vm.controlPointsProperty().set(b));
        vm.controlPointsProperty().addListener((o, a, b) -> points.getValueFactory().setValue(b.intValue()));
        points.disableProperty().bind(vm.modeProperty().isEqualTo(WeightTable.Mode.PER_LAYER));
        // the table has one curve per group: weights per module (per-layer-module) show as each group's mean
        Label perModule = new Label("Per-module weights: the merge uses one weight per module; the curves show each"
                + " group's mean. Editing a curve replaces them with the curves (Undo brings them back).");
        perModule.setId("per-module-note");
        perModule.setWrapText(true);
        perModule.visibleProperty().bind(vm.table().modulesProperty());
        perModule.managedProperty().bind(perModule.visibleProperty());
        HBox controls = new HBox(8, new Label("Curves"), mode, new Label("points"), points, split, group);
        controls.setAlignment(Pos.CENTER_LEFT);
        // the note on a line of its own: beside the controls it squeezed their labels to "..."
        VBox top = new VBox(4, controls, perModule);
        top.setPadding(new Insets(6));
        setTop(top);

        legend.setId("weights-legend");
        legend.setPadding(new Insets(0, 6, 2, 60));
        VBox chartBox = new VBox(chart, legend);
        VBox.setVgrow(chart, Priority.ALWAYS);
        SplitPane center = new SplitPane(chartBox, table);
        center.setOrientation(javafx.geometry.Orientation.VERTICAL);
        center.setDividerPositions(0.66);
        setCenter(center);
        setRight(settingsPane(vm.settings()));

        vm.revisionProperty().addListener(o -> refresh());
        vm.settings().sharedModeProperty().addListener(o -> refresh());
        vm.looksProperty().addListener(o -> refresh());
        vm.groupProperty().addListener(o -> refresh());
        vm.splitProperty().addListener(o -> group.setConverter(group.getConverter()));
        refresh();
    }

    /** The point being dragged directly: {series, point}, or null. */
    private int[] dragged;

    /**
     * Press on a point and drag it up or down. While points are selected with EditDataSet (Ctrl+box),
     * its markers take the drag instead, moving all selected points together.
     */
    private void installPointDrag(EditDataSet edit) {
        chart.addEventFilter(javafx.scene.input.MouseEvent.MOUSE_PRESSED, e -> {
            if (!e.isPrimaryButtonDown() || e.isControlDown() || e.isShiftDown() || edit.isEditable()) {
                return;
            }
            javafx.geometry.Point2D p = chart.getCanvas().sceneToLocal(e.getSceneX(), e.getSceneY());
            dragged = nearestPoint(p.getX(), p.getY(), 8);
            if (dragged != null) {
                e.consume();
            }
        });
        chart.addEventFilter(javafx.scene.input.MouseEvent.MOUSE_DRAGGED, e -> {
            if (dragged != null) {
                javafx.geometry.Point2D p = chart.getCanvas().sceneToLocal(e.getSceneX(), e.getSceneY());
                vm.drag(dragged[0], dragged[1], yAxis.getValueForDisplay(p.getY()));
                e.consume();
            }
        });
        chart.addEventFilter(javafx.scene.input.MouseEvent.MOUSE_RELEASED, e -> {
            if (dragged != null) {
                dragged = null;
                e.consume();
            }
        });
    }

    /** The {series, point} within {@code radius} pixels of a canvas position, nearest first. */
    private int[] nearestPoint(double px, double py, double radius) {
        int[] best = null;
        double bestD = radius + 1e-9;
        for (int s = 0; s < vm.series().size(); s++) {
            if (!vm.isShown(s)) {
                continue;
            }
            for (int p = 0; p < vm.points(); p++) {
                double dx = xAxis.getDisplayPosition(vm.pointLayer(p)) - px;
                double dy = yAxis.getDisplayPosition(vm.value(s, p)) - py;
                double d = Math.hypot(dx, dy);
                if (d < bestD) {
                    bestD = d;
                    best = new int[] {s, p};
                }
            }
        }
        return best;
    }

    private GridPane settingsPane(MergeSettings s) {
        GridPane g = new GridPane();
        g.setId("merge-settings");
        g.setHgap(6);
        g.setVgap(8);
        g.setPadding(new Insets(10));
        g.setPrefWidth(270);
        Label title = new Label("Merge settings");
        title.setStyle("-fx-font-weight: bold;");
        g.add(title, 0, 0, 2, 1);
        ComboBox<Recipe.Redundancy.Strategy> red = new ComboBox<>();
        red.getItems().setAll(Recipe.Redundancy.Strategy.values());
        red.valueProperty().bindBidirectional(s.strategyProperty());
        red.setConverter(keyed(Recipe.Redundancy.Strategy::key));
        red.setId("redundancy-box");
        g.addRow(1, new Label("Redundancy"), red);
        Slider density = new Slider(0.05, 1, s.densityProperty().get());
        density.valueProperty().bindBidirectional(s.densityProperty());
        density.setId("density-slider");
        density.disableProperty().bind(javafx.beans.binding.Bindings.createBooleanBinding(
                () -> !s.strategyProperty().get().elementWise(), s.strategyProperty()));
        Label dval = new Label();
        dval.textProperty().bind(s.densityProperty().asString(Locale.ROOT, "%.2f"));
        g.addRow(2, new Label("Density"), new VBox(2, density, dval));
        Slider energy = new Slider(0.05, 1, s.energyProperty().get());
        energy.valueProperty().bindBidirectional(s.energyProperty());
        energy.disableProperty().bind(s.strategyProperty().isNotEqualTo(Recipe.Redundancy.Strategy.SPECTRAL));
        Label eval = new Label();
        eval.textProperty().bind(s.energyProperty().asString(Locale.ROOT, "%.2f"));
        g.addRow(3, new Label("Energy kept"), new VBox(2, energy, eval));
        ComboBox<Recipe.Redundancy.Sign> sign = new ComboBox<>();
        sign.getItems().setAll(Recipe.Redundancy.Sign.values());
        sign.valueProperty().bindBidirectional(s.signProperty());
        sign.setConverter(keyed(Recipe.Redundancy.Sign::key));
        sign.disableProperty().bind(s.strategyProperty().isNotEqualTo(Recipe.Redundancy.Strategy.TIES)
                .and(s.strategyProperty().isNotEqualTo(Recipe.Redundancy.Strategy.DARE_TIES)));
        g.addRow(4, new Label("Sign election"), sign);
        ComboBox<Recipe.Shared.Mode> shared = new ComboBox<>();
        shared.getItems().setAll(Recipe.Shared.Mode.NONE, Recipe.Shared.Mode.CONSENSUS);
        if (s.sharedPathProperty().get() != null) {
            shared.getItems().add(Recipe.Shared.Mode.ADAPTER);
        }
        shared.valueProperty().bindBidirectional(s.sharedModeProperty());
        shared.setConverter(keyed(Recipe.Shared.Mode::key));
        shared.setId("shared-box");
        g.addRow(5, new Label("Shared module"), shared);
        Spinner<Integer> rank = new Spinner<>(1, 256, s.sharedRankProperty().get());
        rank.setPrefWidth(80);
        rank.getValueFactory().valueProperty().addListener((o, a, b) -> s.sharedRankProperty().set(b));
        s.sharedRankProperty().addListener((o, a, b) -> rank.getValueFactory().setValue(b.intValue()));
        rank.disableProperty().bind(s.sharedModeProperty().isNotEqualTo(Recipe.Shared.Mode.CONSENSUS));
        g.addRow(6, new Label("Shared rank"), rank);
        Spinner<Integer> outRank = new Spinner<>(0, 4096, s.outputRankProperty().get(), 4);
        outRank.setPrefWidth(80);
        outRank.getValueFactory().valueProperty().addListener((o, a, b) -> s.outputRankProperty().set(b));
        s.outputRankProperty().addListener((o, a, b) -> outRank.getValueFactory().setValue(b.intValue()));
        g.addRow(7, new Label("Output rank"), new HBox(4, outRank, new Label("0 = exact")));
        ComboBox<DType> dtype = new ComboBox<>();
        dtype.getItems().setAll(DType.F32, DType.BF16, DType.F16);
        dtype.valueProperty().bindBidirectional(s.outputDtypeProperty());
        g.addRow(8, new Label("Output dtype"), dtype);
        Label help = new Label("Drag a point up or down. To move several at once, Ctrl+drag a box around them, "
                + "then drag a marker (Esc clears the selection). Or type values in the table. Edit > Undo reverts a change.");
        help.setWrapText(true);
        help.setStyle("-fx-text-fill: #555;");
        g.add(help, 0, 9, 2, 1);
        GridPane.setVgrow(help, Priority.ALWAYS);
        return g;
    }

    private static <T> javafx.util.StringConverter<T> keyed(java.util.function.Function<T, String> key) {
        return new javafx.util.StringConverter<>() {
            @Override
            public String toString(T t) {
                return t == null ? "" : key.apply(t);
            }

            @Override
            public T fromString(String s) {
                return null;
            }
        };
    }

    /** Rebuilds the curves and the table from the view model. */
    private void refresh() {
        updating = true;
        try {
            List<String> series = vm.series();
            int n = vm.points();
            int layers = vm.table().numLayers();
            List<String> dashes = new ArrayList<>();
            for (int s = 0; s < series.size(); s++) {
                boolean shared = s == series.size() - 1;
                boolean off = !shared && !vm.isEnabled(s);
                // a curve exactly over an earlier one is dashed, so that both colors show
                // (the k-th twin: on 16/(k+1) of every 16 px, each drawn over the longer dashes of the one before)
                int twin = vm.twinRank(s);
                dashes.add(off ? "2 4" : twin > 0 ? String.format(Locale.ROOT, "%.1f %.1f", 16.0 / (twin + 1), 16 - 16.0 / (twin + 1))
                        : shared ? "8 4" : null);
            }
            boolean renamed = dataSets.size() != series.size() || !sameNames(series);
            // ChartFX keeps a curve's dash pattern once drawn dashed: a changed pattern gets a new data set
            if (renamed || (!fromChart && !dashes.equals(shownDashes))) {
                dataSets.clear();
                for (int s = 0; s < series.size(); s++) {
                    dataSets.add(new SeriesDataSet(series.get(s), s));
                }
                // ChartFX draws the first data set on top: reversed, a later curve lies dashed over its twin
                renderer.getDatasets().setAll(dataSets.reversed());
                shownDashes = dashes;
            }
            if (renamed) {
                rebuildTableColumns(series);
            }
            double max = 1.0;
            double min = 0.0;
            for (int s = 0; s < series.size() && !fromChart; s++) {
                SeriesDataSet ds = dataSets.get(s);
                double[] x = new double[n];
                double[] y = new double[n];
                for (int p = 0; p < n; p++) {
                    x[p] = vm.pointLayer(p);
                    y[p] = vm.value(s, p);
                    max = Math.max(max, y[p]);
                    min = Math.min(min, y[p]);
                }
                boolean shown = vm.isShown(s);
                ds.set(shown ? x : new double[0], shown ? y : new double[0]); // no shared curve without a shared module
                Color c = vm.color(s);
                String web = web(c);
                String dash = dashes.get(s);
                ds.setStyle("-fx-line-color: " + web + "; -fx-stroke: " + web + "; -fx-fill: " + web + "; -fx-marker-color: " + web
                        + "; -fx-line-width: 2.5; -fx-marker-size: 5" + (dash == null ? "" : "; -fx-line-dash-array: " + dash));
            }
            if (!fromChart) {
                xAxis.set(-0.3, Math.max(1, layers - 1) + 0.3);
                legend();
                for (int c = 1; c < table.getColumns().size(); c++) {
                    table.getColumns().get(c).setVisible(vm.isShown(c - 1));
                }
                yAxis.set(Math.floor(min * 1.15 * 10) / 10 - 0.05, Math.ceil(max * 1.15 * 10) / 10);
            }
            List<Integer> rows = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                rows.add(p);
            }
            table.getItems().setAll(rows);
            table.refresh();
            if (!fromChart) {
                chart.invalidate();
            }
        } finally {
            updating = false;
        }
    }

    /** The series' colors and names; a curve drawn over another says so. */
    private void legend() {
        legend.getChildren().clear();
        List<String> series = vm.series();
        for (int s = 0; s < series.size(); s++) {
            if (!vm.isShown(s)) {
                continue;
            }
            javafx.scene.shape.Rectangle swatch = new javafx.scene.shape.Rectangle(14, 4, vm.color(s));
            int same = vm.sameAs(s);
            String text = series.get(s) + (s < series.size() - 1 && !vm.isEnabled(s) ? " (off)" : "")
                    + (same >= 0 ? " (same as " + series.get(same) + ")" : "");
            Label l = new Label(text, swatch);
            l.setId("legend-" + series.get(s));
            if (same >= 0) {
                l.setTooltip(new javafx.scene.control.Tooltip(series.get(s) + " has the same weights as " + series.get(same)
                        + " at every layer: its curve is dashed over the other one."));
            }
            legend.getChildren().add(l);
        }
    }

    private static String web(Color c) {
        return String.format("#%02x%02x%02x", Math.round(c.getRed() * 255), Math.round(c.getGreen() * 255), Math.round(c.getBlue() * 255));
    }

    private boolean sameNames(List<String> series) {
        for (int s = 0; s < series.size(); s++) {
            if (!dataSets.get(s).getName().equals(series.get(s))) {
                return false;
            }
        }
        return true;
    }

    private void rebuildTableColumns(List<String> series) {
        table.getColumns().clear();
        TableColumn<Integer, String> at = new TableColumn<>("layer");
        at.setCellValueFactory(c -> new ReadOnlyStringWrapper(vm.pointLabel(c.getValue())));
        at.setSortable(false);
        at.setMinWidth(56);
        at.setPrefWidth(56);
        at.setMaxWidth(64);
        at.setResizable(false);
        table.getColumns().add(at);
        for (int s = 0; s < series.size(); s++) {
            int si = s;
            TableColumn<Integer, Double> col = new TableColumn<>(series.get(s));
            col.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(Math.round(vm.value(si, c.getValue()) * 1000) / 1000.0));
            col.setCellFactory(TextFieldTableCell.forTableColumn(new DoubleStringConverter() {
                @Override
                public Double fromString(String v) {
                    try {
                        return super.fromString(v);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }));
            col.setOnEditCommit(e -> {
                if (e.getNewValue() != null) {
                    vm.setValue(si, e.getRowValue(), e.getNewValue());
                } else {
                    table.refresh();
                }
            });
            col.setSortable(false);
            col.setEditable(true);
            col.setMinWidth(70);
            // equal shares of what the layer column leaves (a constrained policy gave it all to the first)
            col.prefWidthProperty().bind(table.widthProperty().subtract(at.widthProperty()).subtract(20).divide(series.size()));
            table.getColumns().add(col);
        }
    }

    public XYChart chart() {
        return chart;
    }
}
