package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.RecipeYaml;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem eval}: exact match and mean NLL per task of a base with adapters or a recipe. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Exact match and mean NLL per task of a base model with adapters or a recipe.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    InferModelOptions model;

    @Option(names = "--tasks", paramLabel = "TASKS.yaml", description = "Task files (default: the recipe's tasks).")
    Path tasks;

    @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "test", description = "Split to evaluate (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--json", description = "Print {\"tasks\": {TASK: {\"exact_match\", \"mean_nll\", \"examples\"}}}.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path tasksFile = tasks != null ? tasks : model.recipe != null ? RecipeYaml.read(model.recipe).tasks() : null;
        if (tasksFile == null) {
            throw new LaemException("eval: give --tasks TASKS.yaml (or a --recipe that names its tasks)");
        }
        var data = TaskSuite.read(tasksFile).split(split);
        EvalReport report;
        try (LiveMerge live = model.open(); LiveMerge.Use m = live.use("eval")) {
            report = new io.laem.engine.eval.Evaluator(m.decoder(), m.tokenizer()).evaluate(data);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson().toPrettyString() + "\n" : report.table());
        out.flush();
        return 0;
    }
}
