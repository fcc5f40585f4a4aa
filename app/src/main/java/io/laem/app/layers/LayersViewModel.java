package io.laem.app.layers;

import io.laem.app.core.AnalysisData;
import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.Workspace;
import io.laem.engine.model.ModuleKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The layers view: heatmaps of layers x adapters (or adapter pairs) for one metric and module
 * filter, the value under the mouse, and details of a clicked module.
 */
public final class LayersViewModel {
    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final ObservableList<String> metrics = FXCollections.observableArrayList();
    private final ObservableList<String> moduleFilters = FXCollections.observableArrayList();
    private final ObjectProperty<String> metric = new SimpleObjectProperty<>(this, "metric");
    private final ObjectProperty<String> moduleFilter = new SimpleObjectProperty<>(this, "moduleFilter", AnalysisData.ALL_MODULES);
    private final ReadOnlyObjectWrapper<AnalysisData.Heatmap> heatmap = new ReadOnlyObjectWrapper<>(this, "heatmap");
    private final ReadOnlyStringWrapper hover = new ReadOnlyStringWrapper(this, "hover", "");
    private static final String NO_ANALYSIS = "Run > Analyze computes the heatmaps; click a cell for that module's details.";
    private static final String PICK_A_CELL = "Click a cell for that module's details.";
    private final ReadOnlyStringWrapper details = new ReadOnlyStringWrapper(this, "details", NO_ANALYSIS);

    public LayersViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        workspace.analysisProperty().addListener((o, a, b) -> analysisChanged(b));
        metric.addListener(o -> refresh());
        moduleFilter.addListener(o -> refresh());
    }

    /** Run > Analyze. */
    public void analyze() {
        var s = workspace.snapshot();
        tasks.run("Analyzing", p -> backend.analyze(s, p), a -> workspace.analysisProperty().set(a));
    }

    /**
     * Run > Contribution Map: one heatmap per task (the loss rise when an adapter is removed from a
     * layer), added to the metrics and shown.
     */
    public void contribution() {
        var s = workspace.snapshot();
        int layers = workspace.numLayers();
        tasks.run("Contribution map", p -> backend.contribution(s, p), maps -> {
            AnalysisData a = workspace.analysisProperty().get();
            List<String> ms = new ArrayList<>();
            Map<String, AnalysisData.Heatmap> all = new LinkedHashMap<>();
            if (a != null) {
                a.metrics().stream().filter(m -> !m.startsWith(AnalysisData.CONTRIBUTION)).forEach(ms::add);
                a.maps().forEach((k, h) -> {
                    if (!h.metric().startsWith(AnalysisData.CONTRIBUTION)) {
                        all.put(k, h);
                    }
                });
            }
            for (AnalysisData.Heatmap h : maps) {
                ms.add(h.metric());
                all.put(AnalysisData.key(h.metric(), h.moduleFilter()), h);
            }
            List<String> filters = a != null ? a.moduleFilters() : List.of(AnalysisData.ALL_MODULES);
            workspace.analysisProperty().set(new AnalysisData(a != null ? a.numLayers() : layers, ms, filters, all));
            if (!maps.isEmpty()) {
                metric.set(maps.getFirst().metric());
            }
        });
    }


    public ObservableList<String> metrics() {
        return metrics;
    }

    public ObservableList<String> moduleFilters() {
        return moduleFilters;
    }

    public ObjectProperty<String> metricProperty() {
        return metric;
    }

    public ObjectProperty<String> moduleFilterProperty() {
        return moduleFilter;
    }

    public ReadOnlyObjectProperty<AnalysisData.Heatmap> heatmapProperty() {
        return heatmap.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty hoverProperty() {
        return hover.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty detailsProperty() {
        return details.getReadOnlyProperty();
    }

    /** The mouse is over a cell (or outside when {@code layer} < 0). */
    public void hover(int layer, int column) {
        hover.set(cellText(layer, column));
    }

    /** A cell was clicked: show the value and, for an adapter column, its module details. */
    public void select(int layer, int column) {
        AnalysisData.Heatmap h = heatmap.get();
        String text = cellText(layer, column);
        if (text.isEmpty()) {
            return;
        }
        String col = h.columns().get(column);
        boolean isAdapter = workspace.adapters().stream().anyMatch(a -> a.name().equals(col));
        if (!isAdapter) {
            details.set(text);
            return;
        }
        ModuleKind kind = ModuleKind.ofPeftName(h.moduleFilter()).orElse(null);
        var s = workspace.snapshot();
        details.set(text);
        tasks.run("Module details", p -> backend.describeModule(s, col, layer, kind), d -> details.set(text + "\n\n" + d));
    }

    /** "layer 3 · finance · delta norm = 0.123", or "" outside the grid. */
    public String cellText(int layer, int column) {
        AnalysisData.Heatmap h = heatmap.get();
        if (h == null || layer < 0 || column < 0 || layer >= h.values().length || column >= h.columns().size()) {
            return "";
        }
        double v = h.values()[layer][column];
        String value = Double.isNaN(v) ? "no module" : String.format(Locale.ROOT, "%.4g", v);
        return "layer " + layer + " · " + h.columns().get(column) + " · " + h.metric()
                + (AnalysisData.ALL_MODULES.equals(h.moduleFilter()) ? "" : " (" + h.moduleFilter() + ")") + " = " + value;
    }

    private void analysisChanged(AnalysisData a) {
        if (a == null) {
            metrics.clear();
            moduleFilters.clear();
            heatmap.set(null);
            details.set(NO_ANALYSIS);
            return;
        }
        if (details.get().equals(NO_ANALYSIS)) {
            details.set(PICK_A_CELL);
        }
        String m = metric.get();
        String f = moduleFilter.get();
        metrics.setAll(a.metrics());
        moduleFilters.setAll(a.moduleFilters());
        metric.set(m != null && a.metrics().contains(m) ? m : a.metrics().get(0));
        moduleFilter.set(f != null && a.moduleFilters().contains(f) ? f : AnalysisData.ALL_MODULES);
        refresh();
    }

    private void refresh() {
        AnalysisData a = workspace.analysisProperty().get();
        heatmap.set(a == null || metric.get() == null ? null : a.map(metric.get(), moduleFilter.get()));
    }
}
