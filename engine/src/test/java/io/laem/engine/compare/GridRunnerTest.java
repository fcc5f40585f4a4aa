package io.laem.engine.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.laem.engine.LaemException;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.infer.Scorer;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison grid on the demo kit: cells are {@code laem generate}'s output, checks the evaluator's, Stop restores the weights. */
class GridRunnerTest {
    static final Path KIT = DemoKit.dir();
    static final Path RECIPE = KIT.resolve("recipe.yaml");
    static final int MAX = 12;
    static Recipe recipe;
    static LiveMerge live;

    @BeforeAll
    static void open() {
        recipe = RecipeYaml.read(RECIPE);
        live = LiveMerge.open(recipe.baseModel(), Device.cpu());
    }

    @AfterAll
    static void close() {
        live.close();
    }

    static List<GridSpec.Row> typed(String... prompts) {
        List<GridSpec.Row> rows = new ArrayList<>();
        for (String p : prompts) {
            rows.add(GridSpec.Row.typed(rows.size(), p));
        }
        return rows;
    }

    static GridResult run(GridSpec spec, GridRunner.Listener l, CancellationToken cancel) {
        try (LiveMerge.Use u = live.use("test")) {
            return GridRunner.run(u, spec, GridRunner.NO_MOA, l, ProgressListener.NONE, cancel);
        }
    }

    /** What {@code laem generate} prints for the prompt (greedy), without its final newline. */
    static String generate(String prompt, String... model) {
        List<String> args = new ArrayList<>(List.of("generate", "--base", recipe.baseModel().toString(), "--prompt", prompt,
                "--max-tokens", Integer.toString(MAX)));
        args.addAll(List.of(model));
        CliRun r = CliRun.laem(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith("\n"), r.out());
        return r.out().substring(0, r.out().length() - 1);
    }

    @Test
    void cellsAreLaemGenerateGreedyOutputAndASweepValueIsTheRecipeWithThatWeight(@TempDir Path dir) throws Exception {
        int layers = live.numLayers();
        List<GridSpec.Column> cols = new ArrayList<>();
        cols.add(Columns.current(recipe));
        cols.add(Columns.base());
        cols.add(Columns.adapter(recipe, "shift", layers));
        cols.addAll(Columns.sweep(recipe, Sweep.parse("shift=0,1"), layers));
        List<GridSpec.Row> rows = typed("shift: kamji =", "mirror: xytpn =");
        List<Cell> streamed = new ArrayList<>();
        StringBuilder tokens = new StringBuilder();
        GridResult g = run(new GridSpec(rows, cols, MAX), new GridRunner.Listener() {
            @Override
            public void token(int row, int column, String text) {
                if (row == 0 && column == 0) {
                    tokens.append(text);
                }
            }

            @Override
            public void cell(Cell cell) {
                streamed.add(cell);
            }
        }, CancellationToken.NONE);
        assertTrue(g.complete());
        assertEquals(10, streamed.size());
        // column by column: each column's weights set once
        for (int i = 0; i < streamed.size(); i++) {
            assertEquals(i / 2, streamed.get(i).column());
            assertEquals(i % 2, streamed.get(i).row());
        }
        assertEquals(g.cell(0, 0).text(), tokens.toString(), "the streamed tokens are the cell's text");
        Path sweep0 = dir.resolve("shift0.yaml");
        Path sweep1 = dir.resolve("shift1.yaml");
        RecipeYaml.write(recipe.withWeight("shift", Schedule.constant(0)), sweep0);
        RecipeYaml.write(recipe.withWeight("shift", Schedule.constant(1)), sweep1);
        for (int r = 0; r < rows.size(); r++) {
            String p = rows.get(r).prompt();
            assertEquals(generate(p, "--recipe", RECIPE.toString()), g.cell(r, 0).text(), "current, " + p);
            assertEquals(generate(p), g.cell(r, 1).text(), "base, " + p);
            assertEquals(generate(p, "--adapter", KIT.resolve("adapters/shift").toString()), g.cell(r, 2).text(), "shift alone, " + p);
            assertEquals(generate(p, "--recipe", sweep0.toString()), g.cell(r, 3).text(), "shift=0, " + p);
            assertEquals(generate(p, "--recipe", sweep1.toString()), g.cell(r, 4).text(), "shift=1, " + p);
            assertEquals(Cell.Check.NONE, g.cell(r, 0).check());
        }
        assertEquals(List.of("current", "base", "shift", "shift=0", "shift=1"), cols.stream().map(GridSpec.Column::label).toList());
        // the merges differ: the grid compares something
        java.util.Set<String> texts = new java.util.HashSet<>();
        for (int c = 0; c < cols.size(); c++) {
            texts.add(g.cell(1, c).text());
        }
        assertTrue(texts.size() > 1, "every column answered the same: " + texts);
    }

    @Test
    void checkMarksAreTheEvaluatorsExactMatch() {
        TaskSuite suite = TaskSuite.read(recipe.tasks());
        List<Scorer.Example> ex = new ArrayList<>();
        List<GridSpec.Row> rows = new ArrayList<>();
        for (String t : List.of("shift", "spell")) {
            List<Scorer.Example> test = suite.examples(t, "test").subList(0, 4);
            for (int i = 0; i < test.size(); i++) {
                rows.add(GridSpec.Row.example(t, i, test.get(i)));
                ex.add(test.get(i));
            }
        }
        int layers = live.numLayers();
        List<GridSpec.Column> cols = List.of(Columns.current(recipe), Columns.adapter(recipe, "shift", layers),
                Columns.adapter(recipe, "spell", layers));
        GridResult g = run(new GridSpec(rows, cols, 1), c -> {}, CancellationToken.NONE);
        int total = 0;
        try (LiveMerge.Use u = live.use("test")) {
            Evaluator ev = new Evaluator(u.decoder(), u.tokenizer());
            for (int c = 0; c < cols.size(); c++) {
                ColumnMerge m = cols.get(c).merge();
                if (m instanceof ColumnMerge.OfRecipe o) {
                    live.show(o.recipe(), ProgressListener.NONE, CancellationToken.NONE);
                } else if (m instanceof ColumnMerge.Weights w) {
                    live.show(w.planOf(), w.weights());
                }
                for (int r = 0; r < rows.size(); r++) {
                    double em = ev.exactMatch(List.of(ex.get(r)));
                    assertEquals(em == 1 ? Cell.Check.MATCH : Cell.Check.MISMATCH, g.cell(r, c).check(),
                            cols.get(c).label() + " on " + rows.get(r).label() + ": " + g.cell(r, c).text());
                }
                total += g.matches(c)[0];
                assertEquals(rows.size(), g.matches(c)[1]);
            }
        }
        assertTrue(total > 0, "no cell matched: the check cannot tell");
        assertTrue(total < rows.size() * cols.size(), "every cell matched: the check cannot tell");
        // with max tokens 1, a reference row still generates its whole reference
        assertTrue(g.cell(0, 1).tokens() > 1, g.cell(0, 1).toString());
    }

    @Test
    void stopEndsWithinOneCellAndRestoresTheWeights() {
        Recipe shown = recipe.withWeight("mirror", Schedule.constant(0.7));
        LiveMerge.Shown before;
        try (LiveMerge.Use u = live.use("test")) {
            live.show(shown, ProgressListener.NONE, CancellationToken.NONE);
            before = live.shown();
        }
        int layers = live.numLayers();
        List<GridSpec.Column> cols = new ArrayList<>(List.of(Columns.base()));
        cols.addAll(Columns.adapters(recipe, layers));
        CancellationToken cancel = new CancellationToken();
        List<Cell> cells = new ArrayList<>();
        int[] tokensAfterCancel = {0};
        GridRunner.Listener l = new GridRunner.Listener() {
            @Override
            public void token(int row, int column, String text) {
                if (cancel.isCancelled()) {
                    tokensAfterCancel[0]++;
                }
                if (column == 2) {
                    cancel.cancel(); // Stop while the third column's first cell generates
                }
            }

            @Override
            public void cell(Cell cell) {
                cells.add(cell);
            }
        };
        assertThrows(CancelledException.class, () -> run(new GridSpec(typed("shift: kamji =", "nines: 20142 ="), cols, 16), l, cancel));
        assertEquals(4, cells.size(), "the two first columns, nothing after Stop");
        assertEquals(0, tokensAfterCancel[0], "generation stops at the next token");
        try (LiveMerge.Use u = live.use("test")) {
            assertEquals(before.plan().key(), live.shownPlan());
            assertEquals(before.weights(), live.weights());
        }
        // a normal end restores too, even from the base alone
        try (LiveMerge.Use u = live.use("test")) {
            live.showBase();
        }
        run(new GridSpec(typed("spell: 7577 ="), List.of(Columns.current(recipe)), 4), c -> {}, CancellationToken.NONE);
        try (LiveMerge.Use u = live.use("test")) {
            assertEquals(null, live.shownPlan());
            assertEquals(null, live.weights());
        }
    }

    /** With room for one plan in the bank, the adapters' plan pushes the shown one out: it comes back from the plan held. */
    @Test
    void aPlanDroppedFromTheBankDuringTheGridIsPutBack() {
        Recipe shown = recipe.withWeight("nines", Schedule.constant(0.9))
                .withRedundancy(new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, 0.5, 1.0, Recipe.Redundancy.Sign.TOTAL, 3));
        assertTrue(!io.laem.engine.merge.MergePlan.Key.of(shown).equals(io.laem.engine.merge.MergePlan.Key.of(Columns.asTheyAre(recipe))),
                "two plans, one place in the bank");
        try (LiveMerge small = LiveMerge.open(recipe.baseModel(), Device.cpu(), 0, 1); LiveMerge.Use u = small.use("test")) {
            small.show(shown, ProgressListener.NONE, CancellationToken.NONE);
            LiveMerge.Shown before = small.shown();
            String answer = GridRunner.run(u, new GridSpec(typed("nines: 20142 ="), List.of(Columns.current(shown)), MAX), GridRunner.NO_MOA,
                    c -> {}, ProgressListener.NONE, CancellationToken.NONE).cell(0, 0).text();
            GridRunner.run(u, new GridSpec(typed("nines: 20142 ="), Columns.adapters(recipe, small.numLayers()), MAX), GridRunner.NO_MOA,
                    c -> {}, ProgressListener.NONE, CancellationToken.NONE);
            assertEquals(before.plan().key(), small.shownPlan());
            assertEquals(before.weights(), small.weights());
            String again = new io.laem.engine.infer.Generator(u.decoder(), u.tokenizer()).generate(u.tokenizer().prompt("nines: 20142 =").ids(),
                    io.laem.engine.infer.Generator.Options.greedy(MAX), null, null).text();
            assertEquals(answer, again, "the restored merge answers as before");
        }
    }

    @Test
    void aMoaColumnWithoutARouterIsOneLine() {
        LaemException e = assertThrows(LaemException.class,
                () -> run(new GridSpec(typed("x"), List.of(Columns.moa()), 2), c -> {}, CancellationToken.NONE));
        assertTrue(e.getMessage().contains("router"), e.getMessage());
    }
}
