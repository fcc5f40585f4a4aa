package io.laem.engine.compare;

import io.laem.engine.LaemException;
import io.laem.engine.infer.Scorer;
import java.util.List;

/**
 * A comparison grid (the XY plot of merge tools): prompts as rows, merges as columns, each cell the
 * greedy completion of its row's prompt by its column's merge, checked against the row's reference
 * when it has one.
 *
 * @param maxTokens most tokens generated per cell
 */
public record GridSpec(List<Row> rows, List<Column> columns, int maxTokens) {
    public GridSpec {
        rows = List.copyOf(rows);
        columns = List.copyOf(columns);
        if (rows.isEmpty()) {
            throw new LaemException("the comparison grid has no prompts (rows)");
        }
        if (columns.isEmpty()) {
            throw new LaemException("the comparison grid has no merges (columns)");
        }
        if (maxTokens < 1) {
            throw new LaemException("max tokens must be at least 1, got " + maxTokens);
        }
    }

    /**
     * A prompt; {@code reference} is the expected completion (null: typed, nothing to check against).
     * {@code label} names the row (a task and example number, or "prompt N").
     */
    public record Row(String label, String prompt, String reference) {
        public Row {
            if (prompt == null || prompt.isEmpty()) {
                throw new LaemException("row '" + label + "': the prompt is empty");
            }
        }

        /** A typed prompt, without a reference. */
        public static Row typed(int index, String prompt) {
            return new Row("prompt " + (index + 1), prompt, null);
        }

        /** Example {@code index} (0-based) of a task's data, with its completion as the reference. */
        public static Row example(String task, int index, Scorer.Example e) {
            return new Row(task + " #" + (index + 1), e.prompt(), e.completion());
        }

        public boolean hasReference() {
            return reference != null;
        }
    }

    /** A merge to compare, with the label its column shows. */
    public record Column(String label, ColumnMerge merge) {}

    public int cells() {
        return rows.size() * columns.size();
    }
}
