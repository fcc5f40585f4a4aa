package io.laem.engine.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import java.nio.file.Path;
import java.util.List;

/** Writes task examples as JSON Lines ({@code ScoreData.readJsonl} reads them back). */
public final class Jsonl {
    private Jsonl() {}

    /** One compact {"prompt": ..., "completion": ...} object per line. */
    public static String format(List<Example> examples) {
        StringBuilder sb = new StringBuilder();
        for (Example e : examples) {
            ObjectNode n = Json.JSON.createObjectNode();
            n.put("prompt", e.prompt());
            n.put("completion", e.completion());
            sb.append(n).append('\n');
        }
        return sb.toString();
    }

    public static void write(Path file, List<Example> examples) {
        AtomicFiles.writeString(file, format(examples));
    }
}
