package io.laem.app.export;

import io.laem.app.core.Backend;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.DialogService;
import io.laem.app.core.SessionData;
import io.laem.app.core.Workspace;
import io.laem.engine.LaemException;
import io.laem.engine.export.GgufLoraFormat;
import io.laem.engine.export.LayerGroups;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.io.OutputTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** File > Export: the merge in every format of the engine's registry (PEFT, full model, GGUF LoRA, GGUF model), and the HTML report. */
public final class ExportViewModel {
    private final Workspace workspace;
    private final Backend backend;
    private final BackgroundTasks tasks;
    private final DialogService dialogs;
    private Supplier<Map<String, byte[]>> charts = LinkedHashMap::new;

    public ExportViewModel(Workspace workspace, Backend backend, BackgroundTasks tasks, DialogService dialogs) {
        this.workspace = workspace;
        this.backend = backend;
        this.tasks = tasks;
        this.dialogs = dialogs;
    }

    /** The views' charts as PNG bytes by title, taken on the FX thread when a report is written. */
    public void setChartSource(Supplier<Map<String, byte[]>> charts) {
        this.charts = charts;
    }

    public void exportAdapter() {
        dialogs.saveFile("Export merged adapter (PEFT folder)", "merged-adapter").ifPresent(p -> exportAdapter(p, x -> {}));
    }

    public void exportAdapter(Path out, Consumer<Path> done) {
        var s = workspace.snapshot();
        allowed("Export", OutputTarget.folder(out), s).ifPresent(target ->
                tasks.run("Exporting adapter", p -> backend.exportAdapter(s, target, p), summary -> {
                    keep(s, "peft", out);
                    dialogs.showInfo("Export", "Merged adapter written to " + out + "\n" + kept(summary));
                    done.accept(out);
                }));
    }

    public void exportFullModel() {
        dialogs.saveFile("Export merged full model (HF folder)", "merged-model").ifPresent(out -> {
            var s = workspace.snapshot();
            allowed("Export", OutputTarget.folder(out), s).ifPresent(target ->
                    tasks.run("Exporting model", p -> backend.exportFullModel(s, target, p), summary -> {
                        keep(s, "full model", out);
                        dialogs.showInfo("Export", "Merged model written to " + out + "\n" + kept(summary));
                    }));
        });
    }

    /** The GGUF formats (and others of the engine's registry beyond PEFT and the full model) for the menu: name and label. */
    public static List<io.laem.engine.export.ExportFormat> otherFormats() {
        return io.laem.engine.export.ExportFormats.all().stream()
                .filter(f -> !f.name().equals(io.laem.engine.export.PeftAdapterFormat.NAME) && !f.name().equals(io.laem.engine.export.FullModelFormat.NAME))
                .toList();
    }

    public void exportAs(String format) {
        Optional<String> chosen = format.startsWith(GROUPED) ? askGroups(format.substring(GROUPED.length())) : Optional.of(format);
        chosen.ifPresent(f -> dialogs.saveFile("Export merge as " + f + " (folder)", "merged-" + f.replaceAll("[:=,]", "-"))
                .ifPresent(p -> exportAs(f, p, x -> {})));
    }

    private static final String GROUPED = GgufLoraFormat.NAME + ":" + GgufLoraFormat.GROUPS;

    /**
     * The per-group GGUF LoRA's groups, asked of the user ({@code initial} filled in) and checked against
     * the base's layers before anything is written: the format name with them, or empty (cancelled or refused).
     */
    Optional<String> askGroups(String initial) {
        var base = workspace.base();
        String layers = base == null ? "" : " The base has " + base.config().numLayers() + " layers (0-" + (base.config().numLayers() - 1) + ").";
        return dialogs.askText("Export GGUF LoRA per layer group",
                "Layer groups: a number of equal groups (e.g. 4) or layer ranges (e.g. 0-7,8-15,...)." + layers, initial).flatMap(answer -> {
            try {
                LayerGroups groups = new LayerGroups(answer.trim());
                if (base != null) {
                    groups.ranges(base.config().numLayers());
                }
                return Optional.of(new GgufLoraFormat(groups).name());
            } catch (LaemException e) {
                dialogs.showError("Export", e.getMessage());
                return Optional.empty();
            }
        });
    }

    /** Writes the merge in {@code format} to the folder {@code out} (GGUF formats add an Ollama Modelfile). */
    public void exportAs(String format, Path out, Consumer<Path> done) {
        var s = workspace.snapshot();
        allowed("Export", OutputTarget.folder(out), s).ifPresent(target ->
                tasks.run("Exporting " + format, p -> backend.export(s, format, target, p), summary -> {
                    keep(s, format, out);
                    dialogs.showInfo("Export", format + " written to " + out + "\n" + kept(summary));
                    done.accept(out);
                }));
    }

    /** An exported merge goes into the history ("exported peft to merged-adapter"). */
    private void keep(SessionData s, String format, Path out) {
        workspace.addHistory(s, io.laem.engine.session.HistoryEntry.Source.EXPORTED, "exported " + format + " to " + out.getFileName(),
                null, Map.of());
    }

    /**
     * The engine's rules for an output the user chose ({@link OutputTarget}): never one of the session's
     * inputs nor a folder laem did not write (the engine's one line in a dialog); an earlier laem output
     * only after the user confirms replacing it. Empty: nothing to do.
     */
    Optional<OutputTarget> allowed(String title, OutputTarget chosen, SessionData s) {
        return allowed(dialogs, title, chosen, s);
    }

    /** As {@link #allowed(String, OutputTarget, SessionData)}, for the other views' exports (the comparison grid). */
    public static Optional<OutputTarget> allowed(DialogService dialogs, String title, OutputTarget chosen, SessionData s) {
        OutputTarget t = chosen.protecting(s.inputs());
        try {
            t.force(true).check();
            t.check();
            return Optional.of(t);
        } catch (OutputTarget.Refused e) {
            if (!e.needsForce()) {
                dialogs.showError(title, e.getMessage());
            } else if (dialogs.confirm(title, t.path() + " holds an earlier laem output. Replace it? "
                    + "The old one is deleted only once the new one is complete.")) {
                return Optional.of(t.force(true));
            }
            return Optional.empty();
        }
    }

    /** What the merge kept of the recipe's formula (plan and output), and the engine's warning when it lost more than 1%. */
    static String kept(MergeSummary s) {
        String line = String.format(java.util.Locale.ROOT, "Retained energy: min %.4f over modules (plan %.4f, output %.4f)",
                s.minRetainedEnergy(), s.minPlanEnergy(), s.minOutputEnergy());
        return s.warning().map(w -> line + "\n" + w).orElse(line);
    }

    public void exportReport() {
        dialogs.saveFile("Export report (HTML folder)", "laem-report").ifPresent(out -> exportReport(out, x -> {}));
    }

    public void exportReport(Path out, Consumer<Path> done) {
        var s = workspace.snapshot();
        Map<String, byte[]> images = charts.get();
        var analysis = workspace.analysisProperty().get();
        String base = workspace.base() == null ? null : workspace.base().describe();
        allowed("Report", OutputTarget.folder(out), s).ifPresent(target -> tasks.run("Writing report", p -> {
            ReportWriter.write(target, s, base, analysis, images);
            return out;
        }, o -> {
            dialogs.showInfo("Report", "Report written to " + o.resolve("index.html"));
            done.accept(o);
        }));
    }
}
