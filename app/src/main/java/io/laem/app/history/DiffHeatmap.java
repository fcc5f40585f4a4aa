package io.laem.app.history;

import io.laem.engine.session.WeightDiff;
import java.util.Locale;
import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;

/**
 * A small diverging heatmap of a {@link WeightDiff}: rows are entry and module group, columns are
 * layers; blue where the selected merge weighs less, red where it weighs more, white where equal.
 * Layer labels are thinned to every k layers so that they never overlap.
 */
public final class DiffHeatmap extends Region {
    private static final double LEFT = 110;
    private static final double TOP = 6;
    private static final double BOTTOM = 34;
    private final Canvas canvas = new Canvas();
    private WeightDiff diff;
    private String empty = "Select two entries to compare their weights.";

    public DiffHeatmap() {
        setId("history-diff");
        getChildren().add(canvas);
        setMinHeight(120);
        setPrefHeight(200);
    }

    public void show(WeightDiff d, String emptyMessage) {
        diff = d;
        empty = emptyMessage;
        draw();
    }

    @Override
    protected void layoutChildren() {
        canvas.setWidth(getWidth());
        canvas.setHeight(getHeight());
        draw();
    }

    private void draw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        double w = canvas.getWidth();
        double h = canvas.getHeight();
        g.clearRect(0, 0, w, h);
        g.setFont(Font.font(11));
        if (diff == null || diff.rows().isEmpty()) {
            g.setFill(Color.GRAY);
            g.setTextAlign(TextAlignment.CENTER);
            g.setTextBaseline(VPos.CENTER);
            g.fillText(empty, w / 2, h / 2);
            return;
        }
        int rows = diff.rows().size();
        int layers = diff.values()[0].length;
        double right = 70;
        double cw = Math.max(1, (w - LEFT - right) / layers);
        double ch = Math.max(1, (h - TOP - BOTTOM) / rows);
        double max = Math.max(1e-12, diff.maxAbs());
        g.setTextBaseline(VPos.CENTER);
        int rowStep = io.laem.app.core.LayerTicks.step(rows, rows * ch, 12);
        for (int r = 0; r < rows; r++) {
            for (int l = 0; l < layers; l++) {
                g.setFill(color(diff.values()[r][l] / max));
                g.fillRect(LEFT + l * cw, TOP + r * ch, Math.ceil(cw), Math.ceil(ch));
            }
            if (r % rowStep == 0) {
                g.setFill(Color.BLACK);
                g.setTextAlign(TextAlignment.RIGHT);
                g.fillText(diff.rows().get(r), LEFT - 4, TOP + (r + 0.5) * ch);
            }
        }
        g.setStroke(Color.gray(0.6));
        g.strokeRect(LEFT, TOP, layers * cw, rows * ch);
        int step = io.laem.app.core.LayerTicks.step(layers, layers * cw, 22);
        g.setFill(Color.BLACK);
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.TOP);
        for (int l = 0; l < layers; l += step) {
            g.fillText(Integer.toString(l), LEFT + (l + 0.5) * cw, TOP + rows * ch + 2);
        }
        g.fillText("layer", LEFT + layers * cw / 2, TOP + rows * ch + 17);
        // color key: -max .. +max
        double kx = LEFT + layers * cw + 12;
        double kh = rows * ch;
        for (int i = 0; i < 40; i++) {
            g.setFill(color(1 - 2 * i / 39.0));
            g.fillRect(kx, TOP + i * kh / 40, 10, Math.ceil(kh / 40));
        }
        g.setTextAlign(TextAlignment.LEFT);
        g.setTextBaseline(VPos.CENTER);
        g.fillText(String.format(Locale.ROOT, "+%.3g", max), kx + 13, TOP + 5);
        g.fillText(String.format(Locale.ROOT, "-%.3g", max), kx + 13, TOP + kh - 5);
    }

    /** -1 blue .. 0 white .. +1 red. */
    static Color color(double t) {
        t = Math.max(-1, Math.min(1, t));
        return t >= 0 ? Color.WHITE.interpolate(Color.web("#c62828"), t) : Color.WHITE.interpolate(Color.web("#1565c0"), -t);
    }
}
