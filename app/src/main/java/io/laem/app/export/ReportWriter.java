package io.laem.app.export;

import io.laem.app.core.AnalysisData;
import io.laem.app.core.SessionData;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Writes the HTML report: session summary, per-layer weights, and the charts as PNG files. */
public final class ReportWriter {
    private ReportWriter() {}

    public static void write(OutputTarget out, SessionData s, String baseDescription, AnalysisData analysis, Map<String, byte[]> images) {
        out.write(tmp -> {
            StringBuilder h = new StringBuilder();
            h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>LAEM merge report</title>\n")
                    .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}")
                    .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}</style></head><body>\n")
                    .append("<h1>LAEM merge report</h1>\n");
            h.append("<p>Base model: ").append(esc(s.base() == null ? "none" : s.base() + " (" + baseDescription + ")")).append("</p>\n");
            h.append("<h2>Adapters</h2><ul>\n");
            for (SessionData.AdapterRef a : s.adapters()) {
                h.append("<li>").append(esc(a.name())).append(a.enabled() ? "" : " (disabled)").append(": ").append(esc(a.dir().toString())).append("</li>\n");
            }
            var st = s.settings();
            h.append("</ul>\n<h2>Merge settings</h2><p>redundancy ").append(st.redundancy().strategy().key())
                    .append(", density ").append(st.redundancy().density()).append(", shared module ").append(st.shared().mode().key())
                    .append(", output rank ").append(st.output().exact() ? "exact" : st.output().rank()).append("</p>\n");
            h.append("<h2>Per-layer weights</h2>\n");
            boolean perModule = s.weights().layout() == io.laem.engine.merge.MergeWeights.Layout.MODULES;
            for (ModuleKind kind : s.weights().layout().distinctModules()) {
                String title = perModule ? kind.peftName() : kind.group() == ModuleKind.Group.ATTN ? "attention" : "MLP";
                h.append("<h3>").append(title).append("</h3><table><tr><th>layer</th>");
                for (String name : s.weights().entries()) {
                    h.append("<th>").append(esc(name)).append("</th>");
                }
                h.append("</tr>\n");
                for (int l = 0; l < s.weights().numLayers(); l++) {
                    h.append("<tr><td>").append(l).append("</td>");
                    for (int t = 0; t < s.weights().entries().size(); t++) {
                        h.append(String.format(Locale.ROOT, "<td>%.3f</td>", s.weights().get(t, l, kind)));
                    }
                    h.append("</tr>\n");
                }
                h.append("</table>\n");
            }
            if (analysis != null) {
                h.append("<p>Analysis: ").append(esc(String.join(", ", analysis.metrics()))).append(" over ")
                        .append(analysis.numLayers()).append(" layers.</p>\n");
            }
            h.append("<h2>Charts</h2>\n");
            int i = 0;
            for (Map.Entry<String, byte[]> e : images.entrySet()) {
                String file = "chart-" + (i++) + ".png";
                Files.write(tmp.resolve(file), e.getValue());
                h.append("<h3>").append(esc(e.getKey())).append("</h3><img src=\"").append(file).append("\" alt=\"")
                        .append(esc(e.getKey())).append("\">\n");
            }
            h.append("</body></html>\n");
            Files.writeString(tmp.resolve("index.html"), h.toString());
        });
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
