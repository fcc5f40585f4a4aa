package io.laem.app.layers;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.ContourType;
import io.fair_acc.chartfx.renderer.spi.ContourDataSetRenderer;
import io.fair_acc.chartfx.renderer.spi.utils.ColorGradient;
import io.fair_acc.dataset.spi.DoubleGridDataSet;
import io.laem.app.core.AnalysisData;
import java.util.List;
import java.util.function.BiConsumer;
import javafx.geometry.Point2D;
import javafx.scene.input.MouseEvent;
import javafx.util.StringConverter;

/**
 * A ChartFX heatmap of layers (y) x columns (x) with named columns, reporting the cell under the
 * mouse and clicked cells.
 */
public final class HeatmapChart extends XYChart {
    private final DefaultNumericAxis xAxis;
    private final DefaultNumericAxis yAxis;
    private final ContourDataSetRenderer renderer = new ContourDataSetRenderer();
    private String zName = "value";
    private List<String> columns = List.of();
    private int rows;

    HeatmapChart() {
        super(new DefaultNumericAxis("adapter"), new io.laem.app.core.LayerAxis("layer", 16));
        xAxis = (DefaultNumericAxis) getXAxis();
        yAxis = (DefaultNumericAxis) getYAxis();
        for (DefaultNumericAxis a : List.of(xAxis, yAxis)) {
            a.setAutoRanging(false);
            a.setAutoUnitScaling(false);
            a.setTickUnit(1);
            a.setUnit(null);
        }
        // the renderer adds its own color (z) axis: name it after the metric
        getAxes().addListener((javafx.collections.ListChangeListener<io.fair_acc.chartfx.axes.Axis>) c -> nameZAxis());
        xAxis.setTickLabelFormatter(new StringConverter<>() {
            @Override
            public String toString(Number n) {
                int i = (int) Math.round(n.doubleValue());
                return Math.abs(n.doubleValue() - i) < 1e-6 && i >= 0 && i < columns.size() ? columns.get(i) : "";
            }

            @Override
            public Number fromString(String s) {
                return columns.indexOf(s);
            }
        });
        renderer.getAxes().addListener((javafx.collections.ListChangeListener<io.fair_acc.chartfx.axes.Axis>) c -> nameZAxis());
        renderer.setContourType(ContourType.HEATMAP);
        renderer.setColorGradient(ColorGradient.VIRIDIS);
        renderer.setSmooth(false);
        getRenderers().setAll(renderer);
        setLegendVisible(false);
        setAnimated(false);
    }

    /** Shows a heatmap, or nothing. */
    void show(AnalysisData.Heatmap h) {
        renderer.getDatasets().clear();
        if (h == null) {
            columns = List.of();
            return;
        }
        columns = h.columns();
        rows = h.values().length;
        int nx = columns.size();
        double[] x = centredGrid(nx);
        double[] y = centredGrid(rows);
        double min = Double.POSITIVE_INFINITY;
        for (double[] row : h.values()) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                }
            }
        }
        double[] z = new double[nx * rows];
        for (int l = 0; l < rows; l++) {
            for (int c = 0; c < nx; c++) {
                double v = h.values()[l][c];
                z[l * nx + c] = Double.isNaN(v) ? (Double.isInfinite(min) ? 0 : min) : v;
            }
        }
        DoubleGridDataSet ds = new DoubleGridDataSet(h.metric(), false, new double[][] {x, y}, z);
        xAxis.setName(h.pairs() ? "adapter pair" : "adapter");
        xAxis.set(-0.5, nx - 0.5);
        yAxis.set(-0.5, rows - 0.5);
        zName = h.metric() + (h.unit().isEmpty() ? "" : " " + h.unit());
        nameZAxis();
        renderer.getDatasets().add(ds);
        invalidate(); // ChartFX 11.3 can miss a dataset swapped while the chart was hidden (a Run > Analyze reset)
    }

    private void nameZAxis() {
        List<io.fair_acc.chartfx.axes.Axis> all = new java.util.ArrayList<>(getAxes());
        all.addAll(renderer.getAxes());
        for (io.fair_acc.chartfx.axes.Axis a : all) {
            if (a != xAxis && a != yAxis && a instanceof DefaultNumericAxis z) {
                z.setName(zName);
                z.setUnit(null);
            }
        }
    }

    /**
     * Grid positions for n cells: the renderer spreads n cells evenly between the first and last
     * grid value, so [-0.5, n - 0.5] puts cell i at i (one cell: a tiny span around 0).
     */
    static double[] centredGrid(int n) {
        double[] g = new double[n];
        if (n == 1) {
            return new double[] {0};
        }
        for (int i = 0; i < n; i++) {
            g[i] = -0.5 + (double) i * n / (n - 1);
        }
        return g;
    }

    /** Calls {@code onCell(layer, column)} for mouse moves (-1, -1 outside) and clicks. */
    void onCell(BiConsumer<Integer, Integer> hover, BiConsumer<Integer, Integer> click) {
        getPlotArea().addEventHandler(MouseEvent.MOUSE_MOVED, e -> {
            int[] c = cellAt(e);
            hover.accept(c[0], c[1]);
        });
        getPlotArea().addEventHandler(MouseEvent.MOUSE_EXITED, e -> hover.accept(-1, -1));
        getPlotArea().addEventHandler(MouseEvent.MOUSE_CLICKED, e -> {
            int[] c = cellAt(e);
            if (c[0] >= 0) {
                click.accept(c[0], c[1]);
            }
        });
    }

    /** The (layer, column) under the mouse, or -1s. */
    int[] cellAt(MouseEvent e) {
        Point2D p = getPlotArea().sceneToLocal(e.getSceneX(), e.getSceneY());
        return cellAtLocal(p.getX(), p.getY());
    }

    public int[] cellAtLocal(double px, double py) {
        if (columns.isEmpty()) {
            return new int[] {-1, -1};
        }
        int c = (int) Math.round(xAxis.getValueForDisplay(px));
        int l = (int) Math.round(yAxis.getValueForDisplay(py));
        if (c < 0 || c >= columns.size() || l < 0 || l >= rows) {
            return new int[] {-1, -1};
        }
        return new int[] {l, c};
    }
}
