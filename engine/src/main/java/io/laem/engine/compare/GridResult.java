package io.laem.engine.compare;

import java.util.ArrayList;
import java.util.List;

/** A grid's cells as they are filled (null: not yet). Not thread-safe: filled on one thread, read after or on that thread. */
public final class GridResult {
    private final GridSpec spec;
    private final Cell[][] cells;
    private int filled;

    public GridResult(GridSpec spec) {
        this.spec = spec;
        this.cells = new Cell[spec.rows().size()][spec.columns().size()];
    }

    public GridSpec spec() {
        return spec;
    }

    public void put(Cell c) {
        if (cells[c.row()][c.column()] == null) {
            filled++;
        }
        cells[c.row()][c.column()] = c;
    }

    /** The cell, or null while it is not filled. */
    public Cell cell(int row, int column) {
        return cells[row][column];
    }

    public int filled() {
        return filled;
    }

    public boolean complete() {
        return filled == spec.cells();
    }

    /** A column's matches over its filled cells whose row has a reference: {matched, checked}. */
    public int[] matches(int column) {
        int matched = 0;
        int checked = 0;
        for (Cell[] row : cells) {
            Cell c = row[column];
            if (c != null && c.check() != Cell.Check.NONE) {
                checked++;
                matched += c.check() == Cell.Check.MATCH ? 1 : 0;
            }
        }
        return new int[] {matched, checked};
    }

    /** The filled cells, column by column. */
    public List<Cell> filledCells() {
        List<Cell> out = new ArrayList<>();
        for (int c = 0; c < spec.columns().size(); c++) {
            for (Cell[] row : cells) {
                if (row[c] != null) {
                    out.add(row[c]);
                }
            }
        }
        return out;
    }
}
