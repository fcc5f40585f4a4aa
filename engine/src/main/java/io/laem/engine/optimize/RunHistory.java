package io.laem.engine.optimize;

import io.laem.engine.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every evaluated candidate of one or more runs, in order; written as CSV with the columns
 * {@code evaluation,label,seconds,value,best_value,cost,task:<name>...,<coordinate labels>...}.
 * Safe to read from another thread while a run appends.
 */
public final class RunHistory {
    /** One evaluated candidate. */
    /** {@code cost}: the share of a full evaluation this candidate took (below 1 when racing dropped it early). */
    public record Row(int index, String label, double seconds, Evaluation result, double bestValue,
            List<String> coordinates, double[] x, double cost) {
        public Row {
            x = x.clone();
        }
    }

    private final List<Row> rows = new ArrayList<>();

    public synchronized void add(Row row) {
        rows.add(row);
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    public synchronized int size() {
        return rows.size();
    }

    /** Appends all rows of another history (runs over several plans share one file). */
    public synchronized void addAll(RunHistory other) {
        rows.addAll(other.rows());
    }

    public String toCsv() {
        List<Row> rs = rows();
        Set<String> tasks = new LinkedHashSet<>();
        Set<String> coords = new LinkedHashSet<>();
        for (Row r : rs) {
            tasks.addAll(r.result().taskScores().keySet());
            coords.addAll(r.coordinates());
        }
        StringBuilder sb = new StringBuilder("evaluation,label,seconds,value,best_value,cost");
        tasks.forEach(t -> sb.append(",task:").append(t));
        coords.forEach(c -> sb.append(',').append(c));
        sb.append('\n');
        for (Row r : rs) {
            sb.append(r.index()).append(',').append(r.label()).append(',').append(r.seconds()).append(',')
                    .append(r.result().value()).append(',').append(r.bestValue()).append(',').append(r.cost());
            for (String t : tasks) {
                Double v = r.result().taskScores().get(t);
                sb.append(',').append(v == null ? "" : v.toString());
            }
            for (String c : coords) {
                int i = r.coordinates().indexOf(c);
                sb.append(',').append(i < 0 ? "" : Double.toString(r.x()[i]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes the CSV atomically. */
    public void writeCsv(Path file) {
        AtomicFiles.writeString(file, toCsv());
    }
}
