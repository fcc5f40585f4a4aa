package io.laem.engine.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.io.OutputTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridHtmlTest {
    static final String EVIL = "<script>alert(\"x\")</script> & 'q' </td>";

    static GridResult grid() {
        GridSpec spec = new GridSpec(List.of(new GridSpec.Row("r<1>", EVIL, " ok."), GridSpec.Row.typed(1, "plain")),
                List.of(new GridSpec.Column("a<b>", new ColumnMerge.Base()), new GridSpec.Column("c", new ColumnMerge.Base())), 8);
        GridResult g = new GridResult(spec);
        g.put(new Cell(0, 0, " ok.", 2, Cell.Check.MATCH, "", 0.1));
        g.put(new Cell(0, 1, EVIL + "\u0000", 9, Cell.Check.MISMATCH, "routed to <x>", 0.1));
        g.put(new Cell(1, 0, "line 1\nline 2", 9, Cell.Check.NONE, "", 0.1));
        return g;
    }

    @Test
    void everyTextIsEscaped() {
        String html = GridHtml.render(grid(), "recipe <r> & co");
        assertFalse(html.contains("<script>"), html);
        assertFalse(html.contains("</td> "), "a cell's text closes no element");
        assertFalse(html.contains("a<b>") || html.contains("r<1>") || html.contains("<x>") || html.contains("<r>"));
        assertFalse(html.contains("\u0000"));
        assertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &lt;/td&gt;"), html);
        assertTrue(html.contains("<th>a&lt;b&gt;</th>"));
        assertTrue(html.contains("recipe &lt;r&gt; &amp; co"));
        assertTrue(html.contains("routed to &lt;x&gt;"));
        // balanced: one opening per closing cell tag
        assertEquals(count(html, "<td"), count(html, "</td>"));
    }

    @Test
    void showsChecksPendingCellsAndMatchesPerColumn() {
        String html = GridHtml.render(grid(), "");
        assertTrue(html.contains("<td class=\"cell match\"><span class=\"mark\">\u2713</span> ok.</td>"), html);
        assertTrue(html.contains("<td class=\"cell mismatch\"><span class=\"mark\">\u2717</span>"));
        assertTrue(html.contains("<td class=\"cell pending\">not run</td>"), "the cell not filled");
        assertTrue(html.contains("<td>1 / 1</td><td>0 / 1</td>"), "matches per column over rows with a reference");
        assertTrue(html.contains("3 of 4 cells"));
    }

    @Test
    void writesAtomicallyAndNeverOverAnExistingFileWithoutForce(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("grid.html");
        GridHtml.write(grid(), "t", OutputTarget.file(out));
        assertEquals(GridHtml.render(grid(), "t"), Files.readString(out));
        assertThrows(OutputTarget.Refused.class, () -> GridHtml.write(grid(), "t", OutputTarget.file(out)));
        GridHtml.write(grid(), "again", OutputTarget.file(out).force(true));
        assertTrue(Files.readString(out).contains("again"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary left");
        }
    }

    static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            n++;
        }
        return n;
    }
}
