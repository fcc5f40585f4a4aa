package io.laem.app.core;

import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * What the workbench asks of the engine. View models call it from background jobs with immutable
 * snapshots; every method may throw the engine's {@link io.laem.engine.LaemException}.
 * {@link EngineBackend} is the real one; tests may pass their own.
 */
public interface Backend extends AutoCloseable {
    BaseModelInfo openBase(Path dir);

    /** An adapter read and checked against the base. */
    record AdapterInfo(String name, Path dir, int rank, double scale, int modules) {}

    AdapterInfo openAdapter(Path dir, BaseModelInfo base);

    TaskEntry openTaskData(Path file);

    SessionData readSession(Path file);

    void writeSession(Path file, SessionData session);

    AnalysisData analyze(SessionData session, Progress progress);

    /**
     * Each layer's contribution per task and entry of the current merge (the loss rise when the entry is
     * removed from the layer, exact ablation on the live merge): one heatmap per task.
     */
    java.util.List<AnalysisData.Heatmap> contribution(SessionData session, Progress progress);

    /** A few lines about one module (or all modules of a layer when {@code kind} is null). */
    String describeModule(SessionData session, String adapter, int layer, ModuleKind kind);

    /** Sends new weights to the live model (cheap: LoRA-bank coefficients only). */
    void applyWeights(SessionData session);

    Generation.Stats generate(SessionData session, Generation.Variant variant, String prompt,
            Generation.Settings settings, Consumer<String> tokens, Progress progress);

    Optimization.Outcome optimize(SessionData session, Optimization.Settings settings,
            Consumer<Optimization.Event> events, Progress progress);

    Optimization.Comparison evaluate(SessionData session, Progress progress);

    /** Writes the merged adapter; returns what the merge kept (retained energy, warning). */
    io.laem.engine.merge.MergeSummary exportAdapter(SessionData session, io.laem.engine.io.OutputTarget out, Progress progress);

    io.laem.engine.merge.MergeSummary exportFullModel(SessionData session, io.laem.engine.io.OutputTarget out, Progress progress);

    /** The merge in an export format of the engine's registry ({@code io.laem.engine.export.ExportFormats}, e.g. gguf-lora). */
    io.laem.engine.merge.MergeSummary export(SessionData session, String format, io.laem.engine.io.OutputTarget out, Progress progress);

    @Override
    void close();
}
