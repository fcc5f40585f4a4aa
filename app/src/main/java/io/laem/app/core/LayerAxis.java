package io.laem.app.core;

import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.dataset.spi.fastutil.DoubleArrayList;

/**
 * A ChartFX axis over layers: labels at whole layers only, every k layers as {@link LayerTicks#step}
 * chooses from the axis' pixel length, and no minor ticks. (ChartFX recomputes the tick unit from
 * the length on every layout, so a tick unit set from outside does not hold.)
 */
public final class LayerAxis extends DefaultNumericAxis {
    private final double minPx;

    /** {@code minPx}: the pixels each label needs (about a line of text vertically, a few digits horizontally). */
    public LayerAxis(String name, double minPx) {
        super(name);
        this.minPx = minPx;
        setAutoRanging(false);
        setAutoUnitScaling(false);
        setUnit(null);
        setMinorTickCount(0);
        setMaxMajorTickLabelCount(10_000); // ChartFX stops at 20 labels otherwise; the step keeps them apart
        setTickLabelFormatter(LayerTicks.wholeLayers());
    }

    @Override
    public double computePreferredTickUnit(double axisLength) {
        int layers = (int) Math.max(1, Math.round(getMax() - getMin()));
        return LayerTicks.step(layers, Math.abs(axisLength), minPx);
    }

    @Override
    protected void calculateMinorTickValues(DoubleArrayList minorTickValues) {
        minorTickValues.clear();
    }
}
