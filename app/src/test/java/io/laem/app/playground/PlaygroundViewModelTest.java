package io.laem.app.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.FakeDialogs;
import io.laem.app.FixtureKit;
import io.laem.app.Fx;
import io.laem.app.core.AppPreferences;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Workspace;
import io.laem.app.shell.MainViewModel;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.HfModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The playground on the real engine over the fixture kit. */
class PlaygroundViewModelTest {
    @TempDir
    static Path dir;
    static MainViewModel vm;
    static FakeDialogs dialogs = new FakeDialogs();

    @BeforeAll
    static void open() throws Exception {
        Fx.start();
        Path session = FixtureKit.write(dir.resolve("kit"));
        Fx.run(() -> vm = new MainViewModel(new Workspace(), new EngineBackend(), new BackgroundTasks(), dialogs,
                new AppPreferences(dir.resolve("prefs"))));
        Fx.run(() -> vm.openSession(session, p -> {}));
        Fx.waitUntil(30, () -> vm.workspace().adapters().size() == 3);
    }

    @AfterAll
    static void close() {
        Fx.run(vm::close);
    }

    /** Greedy text of the model with one adapter (or none) at weight 1, straight from the engine. */
    private static String reference(String adapter, String prompt, int max) {
        try (HfModel m = HfModel.open(dir.resolve("kit/base")); HfTokenizer tok = HfTokenizer.load(m); Decoder d = Decoder.load(m)) {
            if (adapter != null) {
                d.bank().add("x", LoraAdapter.load(dir.resolve("kit/adapters/" + adapter)).modules().values());
                d.bank().setAll("x", 1.0);
            }
            return new Generator(d, tok).generate(prompt, Generator.Options.greedy(max), (id, t) -> {}, () -> false).text();
        }
    }

    @Test
    void everyColumnStreamsWhatTheEngineGenerates() {
        PlaygroundViewModel p = vm.playground();
        assertEquals(List.of("base", "arith", "reverse", "upper", "merge", "MoA (routed)"),
                p.columns().stream().map(PlaygroundViewModel.Column::title).toList());
        Fx.run(() -> {
            p.promptProperty().set("hello");
            p.maxTokensProperty().set(6);
            p.generate();
        });
        Fx.waitUntil(120, () -> !p.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        assertEquals(reference(null, "hello", 6), p.columns().get(0).textProperty().get());
        assertEquals(reference("reverse", "hello", 6), p.columns().get(2).textProperty().get());
        for (PlaygroundViewModel.Column c : p.columns()) {
            assertTrue(c.statsProperty().get().endsWith("tokens/s"), c.title() + ": " + c.statsProperty().get());
        }
        // MoA routes the prompt to one adapter and answers exactly as that adapter alone
        String moa = p.columns().getLast().statsProperty().get();
        assertTrue(moa.startsWith("routed to "), moa);
        String chosen = moa.substring("routed to ".length(), moa.indexOf(' ', "routed to ".length()));
        assertEquals(reference(chosen, "hello", 6), p.columns().getLast().textProperty().get());
        // the prompt as sent: text and ids, as laem generate --show-prompt prints them
        try (HfModel m = HfModel.open(dir.resolve("kit/base")); HfTokenizer tok = HfTokenizer.load(m)) {
            assertEquals(tok.prompt("hello").show(), p.sentPromptProperty().get());
        }
    }

    @Test
    void showPromptShowsTheRenderedChatTemplate() {
        PlaygroundViewModel p = vm.playground();
        Fx.run(() -> {
            p.promptProperty().set("hi");
            p.maxTokensProperty().set(1);
            p.chatProperty().set(true);
            p.showPromptProperty().set(true);
            p.generate();
        });
        Fx.waitUntil(120, () -> !p.runningProperty().get());
        Fx.run(() -> p.chatProperty().set(false));
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        try (HfModel m = HfModel.open(dir.resolve("kit/base")); HfTokenizer tok = HfTokenizer.load(m)) {
            HfTokenizer.Prompt expected = tok.chatPrompt(List.of(new io.laem.engine.infer.ChatTemplate.Message("user", "hi")), java.util.Map.of());
            assertEquals(expected.show(), p.sentPromptProperty().get());
            assertTrue(expected.show().startsWith("--- prompt (chat template), "), expected.show());
        }
    }

    @Test
    void evaluateScoresEveryMethodOnEveryTask() {
        Fx.run(() -> vm.optimize().evaluate());
        Fx.waitUntil(120, () -> vm.optimize().comparisonProperty().get() != null
                && vm.optimize().comparisonProperty().get().methods().contains("LAEM (current weights)"));
        var c = vm.optimize().comparisonProperty().get();
        // the optimizer's comparison without a search (one implementation): tuned baselines, each adapter, the current merge
        assertEquals(List.of("base", "uniform", "task arithmetic (tuned)", "TIES (tuned)", "DARE-TIES (tuned)", "arith", "reverse",
                "upper", "LAEM (current weights)"), c.methods());
        assertEquals(List.of("arith EM", "arith NLL", "reverse EM", "reverse NLL", "upper EM", "upper NLL"), c.tasks());
        // reference: the engine's scorer with the reverse adapter alone
        double ref;
        try (HfModel m = HfModel.open(dir.resolve("kit/base")); HfTokenizer tok = HfTokenizer.load(m); Decoder d = Decoder.load(m)) {
            d.bank().add("x", LoraAdapter.load(dir.resolve("kit/adapters/reverse")).modules().values());
            d.bank().setAll("x", 1.0);
            ref = new io.laem.engine.infer.Scorer(d, tok).score(io.laem.engine.infer.ScoreData.readJsonl(dir.resolve("kit/data/upper.validation.jsonl"))).meanNll();
        }
        assertEquals(ref, c.values()[6][5], 1e-4);
        assertEquals(0.0, c.values()[0][0]); // a random model gets nothing exactly right
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }

    @Test
    void realOptimizerRunWithATinyBudget() {
        var o = vm.optimize();
        Fx.run(() -> {
            o.parameterizationProperty().set(io.laem.engine.optimize.Parameterization.Kind.PER_TASK);
            o.budgetProperty().set(3);
            o.start();
        });
        Fx.waitUntil(300, () -> !o.runningProperty().get());
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
        assertEquals(3, o.events().size());
        assertTrue(o.summaryProperty().get().startsWith("Done"), o.summaryProperty().get());
        var c = o.comparisonProperty().get();
        // the fixture's tasks have no test split: the baselines' validation values, then LAEM's
        assertEquals("LAEM", c.methods().getLast());
        assertTrue(c.methods().containsAll(List.of("base", "uniform", "task arithmetic (tuned)", "TIES (tuned)", "DARE-TIES (tuned)")), c.methods().toString());
        double best = o.events().stream().mapToDouble(e -> e.best()).min().orElseThrow();
        assertEquals(best, o.events().getLast().best(), 1e-12);
    }

    @Test
    void stopEndsAtOnce() {
        PlaygroundViewModel p = vm.playground();
        Fx.run(() -> {
            p.promptProperty().set("a longer prompt");
            p.maxTokensProperty().set(4000);
            p.generate();
            p.stop();
        });
        Fx.waitUntil(30, () -> !p.runningProperty().get());
        assertTrue(p.columns().stream().anyMatch(c -> c.statsProperty().get().equals("stopped")));
        assertTrue(dialogs.errors.isEmpty(), dialogs.errors.toString());
    }
}
