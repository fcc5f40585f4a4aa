package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.GgmlType;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Files;
import java.util.Locale;

/** Base + merged delta as one GGUF model file ({@link GgufModelExport}) in a tensor type, with an Ollama Modelfile. */
public final class GgufModelFormat implements ExportFormat {
    public static final String NAME = "gguf-model";
    public static final String FILE = "model.gguf";
    private final GgmlType type;

    public GgufModelFormat(GgmlType type) {
        this.type = type;
    }

    public GgmlType type() {
        return type;
    }

    @Override
    public String name() {
        return NAME + ":" + type.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String summary() {
        return "merged full model as GGUF (" + type + ") for llama.cpp / Ollama / LM Studio, with an Ollama Modelfile";
    }

    @Override
    public void write(MergedAdapter merged, Recipe recipe, OutputTarget out, String method, ProgressListener progress, CancellationToken cancel) {
        String report = report(merged.summary(), recipe, method);
        out.protecting(recipe.inputs()).write(tmp -> {
            GgufModelExport.writeInto(recipe.baseModel(), merged.modules(), tmp.resolve(FILE), type, progress, cancel);
            Files.writeString(tmp.resolve(OllamaModelfile.FILE), OllamaModelfile.forModel(FILE));
            Files.writeString(tmp.resolve(MergeWriter.REPORT), report);
        });
    }

    /** merge-report.json's text, naming the baseline method when there is one. */
    static String report(MergeSummary summary, Recipe recipe, String method) {
        ObjectNode r = MergeWriter.report(summary, recipe);
        if (method != null) {
            r.put("method", method);
        }
        return r.toPrettyString();
    }
}
