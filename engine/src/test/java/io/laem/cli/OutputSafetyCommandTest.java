package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.fixtures.CliRun;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.SafetensorsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that write never lose a user's file: outputs over inputs are refused even with
 * {@code --force}, existing outputs need {@code --force}, folders laem did not write are never
 * replaced, and {@code merge --full-model} leaves both outputs or neither.
 */
class OutputSafetyCommandTest {
    @TempDir
    Path tmp;
    Path work;
    Path base;
    Path recipe;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createDirectory(tmp.resolve("work"));
        base = Fixtures.tinyLlama(work);
        Fixtures.taskAdapters(work.resolve("adapters"), base, 2);
        recipe = work.resolve("recipe.yaml");
        writeRecipe(0.5);
    }

    private void writeRecipe(double weight) throws IOException {
        // rank 4: not the streamed exact merge, so --out alone and --out with --full-model take the same path
        Files.writeString(recipe, """
                base_model: tiny-llama
                adapters: [{name: a, path: adapters/task0}, {name: b, path: adapters/task1}]
                weights: {a: %s, b: 1}
                output: {rank: 4}
                """.formatted(weight));
    }

    /** Every file under {@code dir} with its bytes (hidden entries included). */
    private static Map<String, byte[]> tree(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static void assertSameTree(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertOneLineRefusal(CliRun r, String start) {
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("laem: " + start), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void mergeNeverWritesOverItsInputsEvenWithForce() throws IOException {
        Map<String, byte[]> before = tree(tmp);
        for (String force : List.of("--out", "--force")) {
            String[] f = force.equals("--force") ? new String[] {"--force"} : new String[0];
            assertOneLineRefusal(merge(work, f), work + ": contains the input " + base);
            assertOneLineRefusal(merge(base, f), base + ": is the input " + base);
            Path inside = work.resolve("adapters/task0/merged");
            assertOneLineRefusal(merge(inside, f), inside + ": lies inside the input " + work.resolve("adapters/task0"));
            CliRun full = CliRun.laem(concat(new String[] {"merge", recipe.toString(), "--out", tmp.resolve("ok").toString(),
                    "--full-model", base.toString()}, f));
            assertOneLineRefusal(full, base + ": is the input " + base);
            // the recipe's own folder named by a relative path that resolves there
            Path viaDots = work.resolve("adapters/..");
            assertOneLineRefusal(merge(viaDots, f), viaDots + ": contains the input ");
        }
        assertSameTree(before, tree(tmp));
        assertEquals(List.of("work"), names(tmp));
    }

    @Test
    void anExistingOutputNeedsForceAndAFolderLaemDidNotWriteIsNeverReplaced() throws IOException {
        Path out = tmp.resolve("out");
        assertEquals(0, merge(out).code());
        writeRecipe(2);
        assertOneLineRefusal(merge(out), out + ": exists and is not empty; give --force to replace a folder laem wrote");
        assertEquals(0, merge(out, "--force").code());

        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.md"), "my notes");
        Files.writeString(tmp.resolve("beside.txt"), "beside");
        assertOneLineRefusal(merge(mine, "--force"), mine + ": was not written by laem (no .laem-output file)");
        assertEquals(List.of("notes.md"), names(mine));
        assertEquals("my notes", Files.readString(mine.resolve("notes.md")));
        assertEquals(List.of("beside.txt", "mine", "out", "work"), names(tmp));
    }

    @Test
    void mergeWithFullModelLeavesBothOrNeither() throws IOException {
        Path a = tmp.resolve("adapter");
        Path m = tmp.resolve("model");
        CliRun ok = CliRun.laem("merge", recipe.toString(), "--out", a.toString(), "--full-model", m.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(a.resolve(".laem-output")) && Files.exists(m.resolve(".laem-output")));
        Map<String, byte[]> adapterBefore = tree(a);
        Map<String, byte[]> modelBefore = tree(m);

        // a base tensor the merge does not touch becomes NaN: the adapter can be written, the full model cannot
        poison(base.resolve("model.safetensors"), "model.norm.weight");
        writeRecipe(2);
        CliRun again = CliRun.laem("merge", recipe.toString(), "--out", a.toString(), "--full-model", m.toString(), "--force");
        assertOneLineRefusal(again, m.resolve("model.safetensors") + ": tensor 'model.norm.weight' would hold NaN or infinity");
        assertSameTree(adapterBefore, tree(a));
        assertSameTree(modelBefore, tree(m));

        Path a2 = tmp.resolve("adapter2");
        Path m2 = tmp.resolve("model2");
        assertEquals(1, CliRun.laem("merge", recipe.toString(), "--out", a2.toString(), "--full-model", m2.toString()).code());
        assertFalse(Files.exists(a2));
        assertFalse(Files.exists(m2));
        assertEquals(List.of("adapter", "model", "work"), names(tmp), "no temporary left behind");
    }

    @Test
    void theOtherWritingCommandsRefuseBeforeAnyWork() throws IOException {
        Path tasks = work.resolve("tasks.yaml");
        Files.writeString(tasks, "tasks:\n  a: {train: data/a.jsonl}\n");
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/a.jsonl"), "{\"prompt\": \"p\", \"completion\": \"c\"}\n");
        Map<String, byte[]> before = tree(work);
        assertOneLineRefusal(CliRun.laem("route", "train", "--base", base.toString(), "--adapter", "a=" + work.resolve("adapters/task0"),
                "--tasks", tasks.toString(), "--out", work.resolve("data").toString(), "--force"),
                work.resolve("data") + ": contains the input " + work.resolve("data/a.jsonl"));
        assertOneLineRefusal(CliRun.laem("optimize", recipe.toString(), "--tasks", tasks.toString(), "--out", work.toString(), "--force"),
                work + ": contains the input ");
        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(mine.resolve("x"), "mine");
        assertOneLineRefusal(CliRun.laem("demo-kit", "build", "--smoke", "--out", mine.toString()),
                mine + ": exists and is not empty; give --force");
        assertOneLineRefusal(CliRun.laem("demo-kit", "build", "--smoke", "--out", mine.toString(), "--force"),
                mine + ": was not written by laem");
        assertSameTree(before, tree(work));
        assertEquals(List.of("mine", "work"), names(tmp));
    }

    /**
     * A folder that cannot be created is one line naming the user's output and the cause. As root
     * (as these tests may run) permissions do not stop a write: there sysfs, which refuses new entries,
     * stands in for a read-only parent folder.
     */
    @Test
    void fileSystemErrorsNameTheOutputAndTheCause() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path underFile = file.resolve("out");
        assertOneLineRefusal(merge(underFile), underFile + ": cannot write: a parent is not a folder (" + file + ")");
        boolean root = "root".equals(System.getProperty("user.name"));
        Path parent = root ? Path.of("/sys") : Files.createDirectory(tmp.resolve("read-only"));
        org.junit.jupiter.api.Assumptions.assumeTrue(!root || Files.isDirectory(Path.of("/sys/kernel")), "no sysfs");
        Path denied = parent.resolve("laem-merged");
        try {
            if (!root) {
                assertTrue(parent.toFile().setWritable(false, false));
            }
            assertOneLineRefusal(merge(denied), denied + ": cannot write: " + (root ? "operation not permitted" : "permission denied"));
        } finally {
            parent.toFile().setWritable(true, false);
        }
        assertEquals("x", Files.readString(file));
    }

    private CliRun merge(Path out, String... more) {
        return CliRun.laem(concat(new String[] {"merge", recipe.toString(), "--out", out.toString()}, more));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Sets the first element of a float32 tensor to NaN in place. */
    static void poison(Path file, String tensor) throws IOException {
        long begin;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            begin = f.info(tensor).begin();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long dataStart = 8 + len.flip().getLong();
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).flip(), dataStart + begin);
        }
    }
}
