package io.laem.engine.compare;

/**
 * One filled cell: the greedy completion of a row's prompt by a column's merge.
 *
 * @param check whether the completion is the row's reference (the evaluator's exact-match rule)
 * @param note what the cell's merge did beyond its weights (MoA: where the prompt was routed), or ""
 */
public record Cell(int row, int column, String text, int tokens, Check check, String note, double seconds) {
    public enum Check {
        /** The row has no reference. */
        NONE,
        MATCH,
        MISMATCH;

        public String mark() {
            return switch (this) {
                case NONE -> "";
                case MATCH -> "\u2713";
                case MISMATCH -> "\u2717";
            };
        }
    }
}
