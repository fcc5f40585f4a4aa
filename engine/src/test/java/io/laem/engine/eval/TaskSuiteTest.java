package io.laem.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.demo.Jsonl;
import io.laem.engine.infer.Scorer.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskSuiteTest {
    @TempDir
    Path dir;

    @Test
    void writtenJsonlReadsBackWithEscapes() throws Exception {
        List<Example> ex = List.of(new Example("a: \"q\" =", " x.\n"), new Example("p", "é"));
        Path yaml = dir.resolve("kit/tasks.yaml");
        TaskSuite.writeStandard(yaml, List.of("rev", "add"));
        Path f = dir.resolve("kit/tasks/rev/test.jsonl");
        Jsonl.write(f, ex);
        assertEquals("{\"prompt\":\"a: \\\"q\\\" =\",\"completion\":\" x.\\n\"}\n{\"prompt\":\"p\",\"completion\":\"é\"}\n", Files.readString(f));
        TaskSuite s = TaskSuite.read(yaml);
        assertEquals(List.of("rev", "add"), s.names());
        assertEquals(ex, s.examples("rev", "test"));
        assertEquals(f, s.path("rev", "test"));
    }

    @Test
    void errorsNameFileLineOrKey() throws Exception {
        Path yaml = dir.resolve("tasks.yaml");
        TaskSuite.writeStandard(yaml, List.of("rev"));
        TaskSuite s = TaskSuite.read(yaml);
        Path f = s.path("rev", "train");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "{\"prompt\":\"a\",\"completion\":\"b\"}\n\n{\"prompt\":\"a\"}\n");
        String m = assertThrows(LaemException.class, () -> s.examples("rev", "train")).getMessage();
        assertTrue(m.startsWith(f + ":3: "), m);
        Files.writeString(f, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\": \"a\",\n");
        m = assertThrows(LaemException.class, () -> s.examples("rev", "train")).getMessage();
        assertTrue(m.startsWith(f + ":2: "), m);
        assertEquals(yaml + ": no task 'x' (tasks: rev)", assertThrows(LaemException.class, () -> s.path("x", "test")).getMessage());
        Files.writeString(yaml, "tasks:\n  rev: {test: 3}\n");
        assertEquals(yaml + ": tasks.rev.test must be a file path", assertThrows(LaemException.class, () -> TaskSuite.read(yaml)).getMessage());
        Files.writeString(yaml, "tasks: []\n");
        assertEquals(yaml + ": field 'tasks' must map task names to their files",
                assertThrows(LaemException.class, () -> TaskSuite.read(yaml)).getMessage());
        Files.writeString(yaml, "tasks:\n  rev: {test: t.jsonl}\n");
        assertEquals(yaml + ": task 'rev' has no split 'train' (splits: test)",
                assertThrows(LaemException.class, () -> TaskSuite.read(yaml).path("rev", "train")).getMessage());
    }
}
