package io.laem.app.core;

import javafx.util.StringConverter;

/**
 * Layer axes everywhere (weight curves, heatmaps, the history's diff): labels at whole layers only,
 * thinned to every k layers so that they stay readable at 28 or 80 layers in the pixels there are.
 */
public final class LayerTicks {
    private LayerTicks() {}

    /**
     * The label step for {@code cells} layers drawn over {@code pixels}: the smallest of 1, 2, 4, 5,
     * 10, 20, 25, 50, ... that leaves at least {@code minPx} pixels per label.
     */
    public static int step(int cells, double pixels, double minPx) {
        if (cells <= 1 || !(pixels > 0)) {
            return 1;
        }
        double per = pixels / cells;
        for (int k : STEPS) {
            if (per * k >= minPx || k >= cells) {
                return k;
            }
        }
        return cells;
    }

    private static final int[] STEPS = {1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000};

    /** Tick labels for whole layers only ("3"); positions between layers get none. */
    public static StringConverter<Number> wholeLayers() {
        return new StringConverter<>() {
            @Override
            public String toString(Number n) {
                if (n == null) {
                    return "";
                }
                long i = Math.round(n.doubleValue());
                return Math.abs(n.doubleValue() - i) < 1e-6 && i >= 0 ? Long.toString(i) : "";
            }

            @Override
            public Number fromString(String s) {
                return Integer.parseInt(s);
            }
        };
    }
}
