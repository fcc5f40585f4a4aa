package io.laem.app;

import io.laem.app.core.AnalysisData;
import io.laem.app.core.Backend;
import io.laem.app.core.BaseModelInfo;
import io.laem.app.core.Generation;
import io.laem.app.core.Optimization;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import io.laem.app.core.TaskEntry;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A backend passing every call to another; tests override what they script. */
public class BackendDelegate implements Backend {
    protected final Backend inner;

    public BackendDelegate(Backend inner) {
        this.inner = inner;
    }

    @Override public BaseModelInfo openBase(Path dir) { return inner.openBase(dir); }
    @Override public AdapterInfo openAdapter(Path dir, BaseModelInfo base) { return inner.openAdapter(dir, base); }
    @Override public TaskEntry openTaskData(Path file) { return inner.openTaskData(file); }
    @Override public SessionData readSession(Path file) { return inner.readSession(file); }
    @Override public void writeSession(Path file, SessionData s) { inner.writeSession(file, s); }
    @Override public AnalysisData analyze(SessionData s, Progress p) { return inner.analyze(s, p); }
    @Override public java.util.List<AnalysisData.Heatmap> contribution(SessionData s, Progress p) { return inner.contribution(s, p); }
    @Override public String describeModule(SessionData s, String a, int l, ModuleKind k) { return inner.describeModule(s, a, l, k); }
    @Override public void applyWeights(SessionData s) { inner.applyWeights(s); }
    @Override public Generation.Stats generate(SessionData s, Generation.Variant v, String prompt, Generation.Settings g,
            Consumer<String> tokens, Progress p) { return inner.generate(s, v, prompt, g, tokens, p); }
    @Override public Optimization.Outcome optimize(SessionData s, Optimization.Settings o, Consumer<Optimization.Event> e,
            Progress p) { return inner.optimize(s, o, e, p); }
    @Override public Optimization.Comparison evaluate(SessionData s, Progress p) { return inner.evaluate(s, p); }
    @Override public io.laem.engine.merge.MergeSummary exportAdapter(SessionData s, io.laem.engine.io.OutputTarget out, Progress p) { return inner.exportAdapter(s, out, p); }
    @Override public io.laem.engine.merge.MergeSummary exportFullModel(SessionData s, io.laem.engine.io.OutputTarget out, Progress p) { return inner.exportFullModel(s, out, p); }
    @Override public io.laem.engine.merge.MergeSummary export(SessionData s, String f, io.laem.engine.io.OutputTarget out, Progress p) { return inner.export(s, f, out, p); }
    @Override public void close() { inner.close(); }
}
