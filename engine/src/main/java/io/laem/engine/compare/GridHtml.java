package io.laem.engine.compare;

import io.laem.engine.io.OutputTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * A grid as one self-contained HTML sheet (inline style, no scripts, nothing fetched): a row per
 * prompt with its reference, a column per merge, each cell's completion with its check mark, and
 * each column's matches at the bottom. Every text from the user or the model is escaped.
 */
public final class GridHtml {
    private GridHtml() {}

    /** Writes the sheet to a file output (staged, then moved into place). */
    public static void write(GridResult grid, String subtitle, OutputTarget out) {
        String html = render(grid, subtitle);
        out.write(tmp -> Files.writeString(tmp, html, StandardCharsets.UTF_8));
    }

    public static String render(GridResult grid, String subtitle) {
        GridSpec spec = grid.spec();
        boolean refs = spec.rows().stream().anyMatch(GridSpec.Row::hasReference);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>LAEM comparison grid</title>\n<style>")
                .append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}")
                .append("th,td{border:1px solid #bbb;padding:4px 8px;vertical-align:top;text-align:left}")
                .append("th{background:#f2f2f2}td.cell,td.ref,.prompt{font-family:monospace;white-space:pre-wrap}")
                .append("td.match{background:#e5f5e0}td.mismatch{background:#fde0dd}td.pending{color:#999}")
                .append(".mark{font-weight:bold;margin-right:.4em}.note{color:#666;font-size:85%;display:block}")
                .append("tr.total td{font-weight:bold}</style></head><body>\n<h1>Comparison grid</h1>\n");
        if (subtitle != null && !subtitle.isEmpty()) {
            h.append("<p>").append(escape(subtitle)).append("</p>\n");
        }
        h.append("<p>").append(grid.filled()).append(" of ").append(spec.cells()).append(" cells; greedy completions, at most ")
                .append(spec.maxTokens()).append(" tokens. \u2713: the completion is the reference (exact match, the model also stops).</p>\n");
        h.append("<table>\n<tr><th>prompt</th>");
        if (refs) {
            h.append("<th>reference</th>");
        }
        for (GridSpec.Column c : spec.columns()) {
            h.append("<th>").append(escape(c.label())).append("</th>");
        }
        h.append("</tr>\n");
        for (int r = 0; r < spec.rows().size(); r++) {
            GridSpec.Row row = spec.rows().get(r);
            h.append("<tr><th>").append(escape(row.label())).append("<div class=\"prompt\">").append(escape(row.prompt())).append("</div></th>");
            if (refs) {
                h.append("<td class=\"ref\">").append(row.hasReference() ? escape(row.reference()) : "").append("</td>");
            }
            for (int c = 0; c < spec.columns().size(); c++) {
                Cell cell = grid.cell(r, c);
                if (cell == null) {
                    h.append("<td class=\"cell pending\">not run</td>");
                    continue;
                }
                String cls = switch (cell.check()) {
                    case NONE -> "cell";
                    case MATCH -> "cell match";
                    case MISMATCH -> "cell mismatch";
                };
                h.append("<td class=\"").append(cls).append("\">");
                if (cell.check() != Cell.Check.NONE) {
                    h.append("<span class=\"mark\">").append(cell.check().mark()).append("</span>");
                }
                h.append(escape(cell.text()));
                if (!cell.note().isEmpty()) {
                    h.append("<span class=\"note\">").append(escape(cell.note())).append("</span>");
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        if (refs) {
            h.append("<tr class=\"total\"><th>exact match</th><td></td>");
            for (int c = 0; c < spec.columns().size(); c++) {
                int[] m = grid.matches(c);
                h.append("<td>").append(m[0]).append(" / ").append(m[1]).append("</td>");
            }
            h.append("</tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    /** Text as HTML character data or a quoted attribute value. */
    public static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r' ? '\uFFFD' : ch); // no control characters in HTML
            }
        }
        return b.toString();
    }
}
