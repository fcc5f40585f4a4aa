package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.export.ExportFormat;
import io.laem.engine.export.ExportFormats;
import io.laem.engine.export.PeftAdapterFormat;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.OutputTransaction;
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

    @Option(names = "--force", description = "Replace --out / --full-model when they hold an earlier laem output "
            + "(never a folder laem did not write, nor an input).")
    boolean force;

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
        OutputTarget adapterOut = OutputTarget.folder(out).force(force).protecting(r.inputs()).protecting(recipe);
        OutputTarget modelOut = fullModel == null ? null : OutputTarget.folder(fullModel).force(force).protecting(r.inputs()).protecting(recipe);
        ExportFormat f = ExportFormats.of(format);
        OutputTransaction.check(adapterOut, modelOut);
        if (fullModel != null && !f.name().equals(PeftAdapterFormat.NAME)) {
            throw new LaemException("--full-model goes with --format peft; for a full model alone give --format full or gguf-model");
        }
        MergeSummary m;
        MergeMethod mm = method == null ? null : MergeMethods.of(method);
        if (modelOut != null) { // adapter and full model as one all-or-nothing output
            if (mm == null) {
                m = RecipeMerge.run(r, adapterOut, modelOut, ProgressListener.NONE, CancellationToken.NONE);
            } else {
                MergedAdapter merged = MethodMerge.run(mm, r, ProgressListener.NONE, CancellationToken.NONE);
                MergeWriter.writeAll(adapterOut, modelOut, merged, r, r.output().dtype(), mm.name(), ProgressListener.NONE, CancellationToken.NONE);
                m = merged.summary();
            }
        } else if (mm == null) {
            m = f.export(r, adapterOut, ProgressListener.NONE, CancellationToken.NONE);
        } else {
            MergedAdapter merged = MethodMerge.run(mm, r, ProgressListener.NONE, CancellationToken.NONE);
            f.write(merged, r, adapterOut, mm.name(), ProgressListener.NONE, CancellationToken.NONE);
            m = merged.summary();
        }
        PrintWriter o = spec.commandLine().getOut();
        int minRank = m.minRank();
        int maxRank = m.maxRank();
        o.printf("merged %d adapters (%s) into %d modules, rank %s%n", r.adapters().size(),
                method != null ? "method " + method : "redundancy " + r.redundancy().strategy().key() + ", shared " + r.shared().mode().key(),
                m.report().size(),
                minRank == maxRank ? Integer.toString(minRank) : minRank + ".." + maxRank);
        o.printf("retained energy: min %.6f over modules (plan %.6f, output %.6f)%n", m.minRetainedEnergy(), m.minPlanEnergy(),
                m.minOutputEnergy());
        m.warning().ifPresent(w -> {
            PrintWriter e = spec.commandLine().getErr();
            e.println(w);
            e.flush();
        });
        if (f.name().equals(PeftAdapterFormat.NAME)) {
            o.printf("adapter: %s (report: %s)%n", out, out.resolve(MergeWriter.REPORT));
        } else {
            o.printf("%s: %s%n", f.name(), out);
        }
        if (fullModel != null) {
            o.printf("full model: %s%n", fullModel);
        }
        o.flush();
        return 0;
    }
}
