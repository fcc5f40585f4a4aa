package io.laem.engine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.fixtures.DemoKit;
import io.laem.engine.infer.ChatTemplate;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * Bounded fuzzing of every file a user hands in: valid seeds from the demo kit and the test fixtures,
 * mutated ({@link Mutator}), then read the way the tool reads them. Each input must be accepted or
 * refused with a {@link LaemException} whose message is one line naming the file (the CLI's exit 1) —
 * never another exception, a hang (timeout) or a file written. 200 tries each, seeded.
 */
class UserFilesFuzzTest {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/llama").toAbsolutePath();
    private static final Path KIT = DemoKit.dir();
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final java.util.concurrent.atomic.AtomicLong TRY = new java.util.concurrent.atomic.AtomicLong();
    private static final Path FOLDER;

    static {
        try {
            FOLDER = Files.createTempDirectory("laem-fuzz");
            FOLDER.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    interface Reader {
        void read(Path file) throws Exception;
    }

    /** Writes the mutated bytes to {@code name} in a fresh folder, with copies of {@code extras} beside it; reads it; checks the outcome. */
    static void check(String name, byte[] content, Reader reader, Path... extras) throws IOException {
        check(name, content, folder -> {
            for (Path e : extras) {
                Files.copy(e, folder.resolve(e.getFileName().toString()));
            }
        }, reader);
    }

    static void check(String name, byte[] content, Reader prepare, Reader reader) throws IOException {
        Path dir = FOLDER.resolve(Long.toString(TRY.incrementAndGet()));
        Files.createDirectories(dir);
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            try {
                prepare.read(file.getParent());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            Files.write(file, content);
            Set<String> before = listing(dir);
            String outcome = "accepted";
            try {
                assertTimeoutPreemptively(LIMIT, () -> reader.read(file), () -> "hangs on " + show(content));
            } catch (LaemException e) {
                outcome = "refused";
                String m = e.getMessage();
                assertTrue(m != null && !m.contains("\n") && !m.contains("\r"), () -> "not one line: " + m);
                assertTrue(m.contains(dir.toString()), () -> "does not name the file: " + m + " for " + show(content));
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t + " for " + show(content), t);
            }
            assertEquals(before, listing(dir), () -> "wrote a file for " + show(content));
            Statistics.label("outcome").collect(outcome);
        } finally {
            delete(dir);
        }
    }

    // ---- adapter_config.json: the adapter loads, and its scales and targets are usable

    @Property(tries = 200, seed = "20261202")
    void adapterConfig(@ForAll long seed) throws IOException {
        String valid = read(KIT.resolve("adapters/shift/adapter_config.json"));
        byte[] bytes = new Mutator(new SplittableRandom(seed), false).mutate(seed % 2 == 0 ? valid : read(FIXTURE.resolve("adapter_a/adapter_config.json")));
        ModelConfig base = ModelConfig.read(FIXTURE.resolve("config.json"));
        check("adapter/adapter_config.json", bytes, f -> {
            LoraAdapter a = LoraAdapter.load(f.getParent());
            a.validateAgainst(base, FIXTURE);
            for (ModuleKey k : ArchitectureTemplate.allModules(base)) {
                if (a.config().targets(k)) {
                    double s = a.config().scaleOf(k);
                    assertTrue(Double.isFinite(s) && s > 0, () -> "accepted a scale of " + s + " for " + show(bytes));
                }
            }
        }, FIXTURE.resolve("adapter_a/adapter_model.safetensors"));
        coverage();
    }

    // ---- config.json: the model folder opens against its weights

    @Property(tries = 200, seed = "20261202")
    void modelConfig(@ForAll long seed) throws IOException {
        byte[] bytes = new Mutator(new SplittableRandom(seed), false).mutate(read(FIXTURE.resolve("config.json")));
        check("config.json", bytes, f -> {
            try (HfModel m = HfModel.open(f.getParent())) {
                ModelConfig c = m.config();
                assertTrue(c.rmsNormEps() > 0 && Double.isFinite(c.ropeTheta()) && c.ropeTheta() > 0);
                c.parameterCount();
            }
        }, FIXTURE.resolve("model.safetensors"));
        coverage();
    }

    // ---- recipe YAML: parses, and what it accepts writes back and reads the same

    @Property(tries = 200, seed = "20261202")
    void recipe(@ForAll long seed) throws IOException {
        byte[] bytes = new Mutator(new SplittableRandom(seed), true).mutate(read(KIT.resolve("recipe.yaml")));
        check("recipe.yaml", bytes, f -> {
            Recipe r = RecipeYaml.read(f);
            Recipe back = RecipeYaml.parse("again.yaml", RecipeYaml.toYaml(r, f.getParent()), f.getParent());
            assertEquals(r, back, () -> "does not round-trip: " + show(bytes));
        });
        coverage();
    }

    // ---- tasks.yaml with its JSONL files

    @Property(tries = 200, seed = "20261202")
    void tasksYaml(@ForAll long seed) throws IOException {
        byte[] bytes = new Mutator(new SplittableRandom(seed), true).mutate(read(KIT.resolve("tasks.yaml")));
        check("tasks.yaml", bytes, UserFilesFuzzTest::writeSmallTasks, f -> {
            TaskSuite s = TaskSuite.read(f);
            for (String t : s.names()) {
                for (String split : TaskSuite.SPLITS) {
                    if (s.tasks().get(t).containsKey(split)) {
                        s.examples(t, split);
                    }
                }
            }
        });
        coverage();
    }

    private static void writeSmallTasks(Path dir) throws IOException {
        for (String t : List.of("shift", "mirror", "nines", "spell")) {
            for (String split : TaskSuite.SPLITS) {
                Path p = dir.resolve("tasks").resolve(t).resolve(split + ".jsonl");
                Files.createDirectories(p.getParent());
                Files.writeString(p, "{\"prompt\":\"" + t + ": ab =\",\"completion\":\" ba.\"}\n");
            }
        }
    }

    // ---- JSONL data

    @Property(tries = 200, seed = "20261202")
    void jsonl(@ForAll long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> lines = Files.readAllLines(KIT.resolve("tasks/shift/validation.jsonl")).subList(0, 6);
        String text;
        int op = rnd.nextInt(4);
        if (op < 3) {
            // mutate one line as a JSON document, keep the others
            int i = rnd.nextInt(lines.size());
            List<String> l = new java.util.ArrayList<>(lines);
            l.set(i, new String(new Mutator(rnd, false).mutate(l.get(i)), StandardCharsets.UTF_8));
            text = String.join(op == 0 ? "\r\n" : "\n", l) + "\n";
        } else {
            text = new String(new Mutator(rnd, false).mutate(String.join("\n", lines)), StandardCharsets.ISO_8859_1);
        }
        byte[] bytes = op < 3 ? text.getBytes(StandardCharsets.UTF_8) : text.getBytes(StandardCharsets.ISO_8859_1);
        check("data.jsonl", bytes, f -> {
            for (Scorer.Example e : ScoreData.readJsonl(f)) {
                assertTrue(e.prompt() != null && e.completion() != null);
            }
        });
        coverage();
    }

    // ---- tokenizer.json and tokenizer_config.json: load, encode, decode, render the chat template

    @Property(tries = 200, seed = "20261202")
    void tokenizerJson(@ForAll long seed) throws IOException {
        Path seedFile = seed % 2 == 0 ? KIT.resolve("base/tokenizer.json") : FIXTURE.resolve("tokenizer.json");
        byte[] bytes = new Mutator(new SplittableRandom(seed), false).mutate(read(seedFile));
        check("tokenizer.json", bytes, f -> {
            try (HfTokenizer t = HfTokenizer.load(f, null)) {
                long[] ids = t.encode("shift: ab = hello");
                t.decode(ids, true);
            }
        });
        coverage();
    }

    @Property(tries = 200, seed = "20261202")
    void tokenizerConfig(@ForAll long seed) throws IOException {
        Path seedFile = seed % 2 == 0 ? KIT.resolve("base/tokenizer_config.json") : FIXTURE.resolve("tokenizer_config.json");
        byte[] bytes = new Mutator(new SplittableRandom(seed), false).mutate(read(seedFile));
        check("tokenizer_config.json", bytes, f -> {
            try (HfTokenizer t = HfTokenizer.load(f.resolveSibling("tokenizer.json"), f)) {
                if (t.chatTemplate().isPresent()) {
                    t.encodeChat(List.of(new ChatTemplate.Message("user", "hi")));
                }
                t.padId();
            }
        }, seedFile.resolveSibling("tokenizer.json"));
        coverage();
    }

    // ---- helpers

    /** The mutations must reach both outcomes, or the property checks less than it claims. */
    private static void coverage() {
        Statistics.label("outcome").coverage(c -> {
            c.check("accepted").percentage(p -> p >= 2);
            c.check("refused").percentage(p -> p >= 20);
        });
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String show(byte[] content) {
        String s = new String(content, StandardCharsets.UTF_8);
        return s.length() > 400 ? s.substring(0, 400) + "... (" + s.length() + " chars)" : s;
    }
}
