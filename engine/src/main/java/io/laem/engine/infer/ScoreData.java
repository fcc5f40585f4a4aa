package io.laem.engine.infer;

import com.fasterxml.jackson.databind.JsonNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads scoring data: JSONL, one {"prompt": ..., "completion": ...} per line; blank lines skipped. */
public final class ScoreData {
    private ScoreData() {}

    public static List<Scorer.Example> readJsonl(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LaemException(file + ": file not found");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new LaemException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new LaemException(file + ": cannot read: " + e.getMessage());
        }
        List<Scorer.Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode n;
            try {
                n = Json.JSON.readTree(line);
            } catch (IOException e) {
                throw new LaemException(file + ":" + (i + 1) + ": " + Json.describe(e, "JSON", false));
            }
            if (n == null || !n.isObject() || !n.path("prompt").isTextual() || !n.path("completion").isTextual()) {
                throw new LaemException(file + ":" + (i + 1) + ": expected an object with string fields \"prompt\" and \"completion\"");
            }
            out.add(new Scorer.Example(n.get("prompt").asText(), n.get("completion").asText()));
        }
        if (out.isEmpty()) {
            throw new LaemException(file + ": no examples (the file is empty)");
        }
        return out;
    }
}
