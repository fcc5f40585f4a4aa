package io.laem.app.core;

import java.nio.file.Path;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.paint.Color;

/**
 * One task adapter of the session: what the engine read from its folder (rank, scale, layers) and
 * what the user sets (enabled, color).
 */
public final class AdapterEntry {
    /** Colors given to adapters in order; the shared module is drawn in gray. */
    public static final Color[] PALETTE = {
        Color.web("#1f77b4"), Color.web("#d62728"), Color.web("#2ca02c"), Color.web("#ff7f0e"),
        Color.web("#9467bd"), Color.web("#8c564b"), Color.web("#e377c2"), Color.web("#17becf")
    };

    private final String name;
    private final Path dir;
    private final int rank;
    private final double scale;
    private final int modules;
    private final BooleanProperty enabled = new SimpleBooleanProperty(this, "enabled", true);
    private final ObjectProperty<Color> color = new SimpleObjectProperty<>(this, "color");

    public AdapterEntry(String name, Path dir, int rank, double scale, int modules, Color color) {
        this.name = name;
        this.dir = dir;
        this.rank = rank;
        this.scale = scale;
        this.modules = modules;
        this.color.set(color);
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public int rank() {
        return rank;
    }

    public double scale() {
        return scale;
    }

    public int modules() {
        return modules;
    }

    public BooleanProperty enabledProperty() {
        return enabled;
    }

    public boolean isEnabled() {
        return enabled.get();
    }

    public ObjectProperty<Color> colorProperty() {
        return color;
    }

    @Override
    public String toString() {
        return name;
    }
}
