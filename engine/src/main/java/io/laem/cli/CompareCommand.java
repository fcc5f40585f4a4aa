package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.compare.Cell;
import io.laem.engine.compare.Columns;
import io.laem.engine.compare.GridHtml;
import io.laem.engine.compare.GridResult;
import io.laem.engine.compare.GridRunner;
import io.laem.engine.compare.GridSpec;
import io.laem.engine.compare.Sweep;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.Devices;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.route.MoaModel;
import io.laem.engine.session.HistoryEntry;
import io.laem.engine.session.SessionFile;
import io.laem.engine.session.Workbench;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code laem compare}: a comparison grid (prompts x merges) of greedy completions, written as an HTML sheet. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Comparison grid: greedy completions of prompts (rows) by merges (columns), written as one HTML sheet.",
                "Cells are printed as they fill: COLUMN<TAB>ROW<TAB>MARK<TAB>TEXT (MARK: + matches the reference, - does not, "
                        + ". no reference; newlines in TEXT as \\n)."})
final class CompareCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RECIPE", description = "Recipe or saved session (YAML): the base model, adapters, merge and its tasks.")
    Path recipe;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "Rows: one prompt per line, or JSONL with prompt and completion (the completion is the reference).")
    Path prompts;

    @Option(names = "--task", paramLabel = "NAME[:N]",
            description = "Rows: the first N (default 4) examples of a task of the recipe's tasks, with their references. Repeatable.")
    List<String> tasks = new ArrayList<>();

    static final int DEFAULT_N = 4;

    @Option(names = "--split", paramLabel = "SPLIT",
            description = "Split --task draws from (default: test, else validation when a task has no test split).")
    String split;

    @Option(names = "--columns", split = ",", paramLabel = "COLUMN",
            description = "Merges, in order: current, base, adapters (each alone), moa, an adapter's name, history (every merge of the "
                    + "session's history) or #N (history entry N) (default: base,adapters,current; none with --sweep).")
    List<String> columns;

    @Option(names = "--sweep", paramLabel = "ENTRY[@FROM[-TO]][:attn|:mlp]=V1,V2,...",
            description = "One column per value of an adapter's weight (the recipe's merge otherwise), on every layer or layers FROM-TO, "
                    + "on both module groups or attn/mlp only; ENTRY * sweeps every adapter. Repeatable.")
    List<String> sweeps = new ArrayList<>();

    @Option(names = "--router", paramLabel = "DIR", description = "Router folder (laem route train) for the moa column.")
    Path router;

    @Option(names = "--max-tokens", defaultValue = "32", paramLabel = "N",
            description = "Most tokens per cell; a row with a reference gets at least its length (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "The HTML sheet to write.")
    Path out;

    @Option(names = "--force", description = "Replace --out when it exists (never an input).")
    boolean force;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Recipe r = RecipeYaml.read(recipe);
        List<Sweep> sw = sweeps.stream().map(Sweep::parse).toList();
        if (prompts == null && tasks.isEmpty()) {
            throw new LaemException("compare: give --prompts FILE or --task NAME[:N] for the rows");
        }
        List<GridSpec.Row> rows = rows(r);
        OutputTarget target = OutputTarget.file(out).force(force).protecting(r.inputs()).protecting(recipe).protecting(prompts)
                .protecting(router);
        target.check();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GridResult grid;
        try (LiveMerge live = LiveMerge.open(r.baseModel(), Devices.resolve(device)); LiveMerge.Use use = live.use("compare")) {
            int layers = live.numLayers();
            List<String> names = columns != null ? columns : sw.isEmpty() ? List.of("base", "adapters", "current") : List.of();
            List<GridSpec.Column> cols = new ArrayList<>();
            for (String n : names) {
                cols.addAll(history(n.trim()) ? historyColumns(n.trim()) : Columns.named(r, List.of(n), layers));
            }
            for (Sweep s : sw) {
                cols.addAll(Columns.sweep(r, s, layers));
            }
            GridSpec gs = new GridSpec(rows, cols, maxTokens);
            GridRunner.MoaSource moa = router == null ? GridRunner.NO_MOA : (u, p, c) -> MoaModel.load(live, router);
            grid = GridRunner.run(use, gs, moa, cell -> {
                stdout.println(gs.columns().get(cell.column()).label() + "\t" + gs.rows().get(cell.row()).label() + "\t"
                        + mark(cell.check()) + "\t" + cell.text().replace("\\", "\\\\").replace("\n", "\\n"));
                stdout.flush();
            }, ProgressListener.NONE, CancellationToken.NONE);
        }
        GridHtml.write(grid, "Recipe " + recipe + ", base " + r.baseModel(), target);
        for (int c = 0; c < grid.spec().columns().size(); c++) {
            int[] m = grid.matches(c);
            if (m[1] > 0) {
                err.printf("compare: %s: %d/%d exact%n", grid.spec().columns().get(c).label(), m[0], m[1]);
            }
        }
        err.println("compare: wrote " + out + " (" + grid.filled() + " cells)");
        err.flush();
        return 0;
    }

    private static boolean history(String column) {
        return column.equals("history") || column.matches("#\\d+");
    }

    /** {@code history}: every merge of the session's history; {@code #N}: entry N. */
    private List<GridSpec.Column> historyColumns(String column) {
        Workbench w = SessionFile.read(recipe);
        List<HistoryEntry> entries = column.equals("history") ? w.history()
                : List.of(w.entry(Integer.parseInt(column.substring(1))).orElseThrow(() -> new LaemException("--columns " + column + ": "
                        + recipe + " has no history entry " + column.substring(1) + (w.history().isEmpty() ? " (no merge history)"
                        : " (entries: " + String.join(", ", w.history().stream().map(e -> "#" + e.number()).toList()) + ")"))));
        if (entries.isEmpty()) {
            throw new LaemException("--columns history: " + recipe + " has no merge history");
        }
        return entries.stream().map(e -> Columns.history(e.number(), e.label(), e.recipe())).toList();
    }

    private static String mark(Cell.Check c) {
        return switch (c) {
            case NONE -> ".";
            case MATCH -> "+";
            case MISMATCH -> "-";
        };
    }

    private List<GridSpec.Row> rows(Recipe r) {
        List<GridSpec.Row> rows = new ArrayList<>();
        if (prompts != null) {
            if (prompts.getFileName().toString().endsWith(".jsonl")) {
                List<Scorer.Example> ex = ScoreData.readJsonl(prompts);
                for (int i = 0; i < ex.size(); i++) {
                    rows.add(new GridSpec.Row("prompt " + (i + 1), ex.get(i).prompt(), ex.get(i).completion()));
                }
            } else {
                List<String> lines;
                try {
                    lines = Files.readAllLines(prompts);
                } catch (IOException e) {
                    throw new LaemException(prompts + ": cannot read: " + e.getMessage());
                }
                for (String l : lines) {
                    if (!l.isBlank()) {
                        rows.add(GridSpec.Row.typed(rows.size(), l));
                    }
                }
                if (rows.isEmpty()) {
                    throw new LaemException(prompts + ": no prompts (one per line)");
                }
            }
        }
        if (!tasks.isEmpty()) {
            if (r.tasks() == null) {
                throw new LaemException(recipe + ": --task needs a recipe that names its tasks (field 'tasks')");
            }
            TaskSuite suite = TaskSuite.read(r.tasks());
            for (String t : tasks) {
                int colon = t.lastIndexOf(':');
                String name = colon > 0 ? t.substring(0, colon) : t;
                int n = DEFAULT_N;
                if (colon > 0) {
                    try {
                        n = Integer.parseInt(t.substring(colon + 1));
                    } catch (NumberFormatException e) {
                        throw new LaemException("--task " + t + ": N must be a whole number");
                    }
                    if (n < 1) {
                        throw new LaemException("--task " + t + ": N must be at least 1");
                    }
                }
                String s = split != null ? split : suite.names().contains(name) && !suite.tasks().get(name).containsKey("test") ? "validation" : "test";
                List<Scorer.Example> ex = suite.examples(name, s);
                for (int i = 0; i < Math.min(n, ex.size()); i++) {
                    rows.add(GridSpec.Row.example(name, i, ex.get(i)));
                }
            }
        }
        return rows;
    }
}
