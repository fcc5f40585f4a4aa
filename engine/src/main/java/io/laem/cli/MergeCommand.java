package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.export.ExportFormat;
import io.laem.engine.export.ExportFormats;
import io.laem.engine.merge.MergeSummary;
import io.laem.engine.merge.MergedAdapter;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.merge.RecipeMerge;
import io.laem.engine.merge.methods.MergeMethod;
import io.laem.engine.merge.methods.MergeMethods;
import io.laem.engine.merge.methods.MethodMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code laem merge}: runs a recipe and writes the merged PEFT adapter (and optionally base + delta). */
@Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge adapters by a recipe into one PEFT adapter (and optionally a full model).")
final class MergeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RECIPE", description = "Recipe YAML (base_model, adapters, redundancy, shared, weights, output).")
    Path recipe;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the merged adapter and " + MergeWriter.REPORT + ".")
    Path out;

    @Option(names = "--full-model", paramLabel = "DIR", description = "Also write base + merged delta as a full HF model folder here.")
    Path fullModel;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = ExportFormats.DEFAULT,
            description = "What to write into --out: peft (default), full, gguf-lora, gguf-model[:f32|f16|bf16|q8_0] (docs/export.md).")
    String format;

    @Option(names = "--method", paramLabel = "NAME", description = "Run a baseline method instead of the LAEM merge: ${COMPLETION-CANDIDATES}. "
            + "Uses the recipe's adapters, weights, redundancy density/sign/seed and output rank.", completionCandidates = MethodNames.class)
    String method;

    /** Method names for the help text. */
    static final class MethodNames extends java.util.ArrayList<String> {
        MethodNames() {
            super(MergeMethods.names());
        }
    }

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Recipe r = RecipeYaml.read(recipe);
        Path outAbs = out.toAbsolutePath().normalize();
        for (Recipe.AdapterRef a : r.adapters()) {
            if (outAbs.equals(a.path().toAbsolutePath().normalize())) {
                throw new LaemException(out + ": --out is the input adapter '" + a.name() + "'; inputs are never overwritten");
            }
        }
        if (fullModel != null && fullModel.toAbsolutePath().normalize().equals(r.baseModel().toAbsolutePath().normalize())) {
            throw new LaemException(fullModel + ": --full-model is the base model; inputs are never overwritten");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new LaemException(out + ": exists and is not a folder");
        }
        ExportFormat f = ExportFormats.of(format);
        if (outAbs.equals(r.baseModel().toAbsolutePath().normalize())) {
            throw new LaemException(out + ": --out is the base model; inputs are never overwritten");
        }
        MergeSummary m;
        if (method == null && fullModel == null) {
            m = f.export(r, out, ProgressListener.NONE, CancellationToken.NONE);
        } else {
            MergeMethod mm = method == null ? null : MergeMethods.of(method);
            MergedAdapter merged = mm == null ? RecipeMerge.merge(r, ProgressListener.NONE, CancellationToken.NONE)
                    : MethodMerge.run(mm, r, ProgressListener.NONE, CancellationToken.NONE);
            f.write(merged, r, out, mm == null ? null : mm.name(), ProgressListener.NONE, CancellationToken.NONE);
            if (fullModel != null) {
                MergeWriter.writeFullModel(r.baseModel(), merged, fullModel, ProgressListener.NONE, CancellationToken.NONE);
            }
            m = merged.summary();
        }
        PrintWriter o = spec.commandLine().getOut();
        int minRank = m.minRank();
        int maxRank = m.maxRank();
        o.printf("merged %d adapters (%s) into %d modules, rank %s%n", r.adapters().size(),
                method != null ? "method " + method : "redundancy " + r.redundancy().strategy().key() + ", shared " + r.shared().mode().key(),
                m.report().size(),
                minRank == maxRank ? Integer.toString(minRank) : minRank + ".." + maxRank);
        o.printf("retained energy: min %.6f over modules%n", m.minRetainedEnergy());
        o.printf("%s: %s%n", f.name(), out);
        if (fullModel != null) {
            o.printf("full model: %s%n", fullModel);
        }
        o.flush();
        return 0;
    }
}
