package io.laem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyzeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void analyzesTheFixturesAsJsonAndTables() throws Exception {
        Path base = Fixtures.tinyLlama(tmp);
        List<Path> t = Fixtures.taskAdapters(tmp.resolve("a"), base, 3);
        MergeCommandTest.Run r = MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", t.get(0).toString(),
                "--adapter", "second=" + t.get(1), "--adapter", t.get(2).toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.JSON.readTree(r.out());
        assertEquals("second", j.get("adapters").get(1).asText());
        assertEquals(2 * 7 * 3, j.get("modules").size());
        assertEquals(2 * 7 * 3, j.get("pairs").size());
        JsonNode m = j.get("modules").get(0);
        assertTrue(m.get("effective_rank_99").asInt() <= 4 && m.get("effective_rank_90").asInt() >= 1);
        assertTrue(m.get("top10_energy").asDouble() < m.get("top20_energy").asDouble());
        MergeCommandTest.Run text = MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", t.get(0).toString(),
                "--adapter", t.get(1).toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("task0 / task1"), text.out());
        MergeCommandTest.Run dup = MergeCommandTest.laem("analyze", "--base", base.toString(), "--adapter", t.get(0).toString(),
                "--adapter", t.get(0).toString());
        assertEquals(1, dup.code());
        assertTrue(dup.err().contains("a second adapter named 'task0'"), dup.err());
    }
}
