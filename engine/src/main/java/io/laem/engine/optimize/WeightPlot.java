package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.model.ModuleKind.Group;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Draws merge weights per layer as a PNG (plain Java2D, headless): one line per entry across the
 * layers, solid for attention modules and dashed for MLP modules where the two differ. Weights per
 * module are drawn as each group's mean over its (unfused) modules, and the legend says so.
 */
public final class WeightPlot {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
    };

    private WeightPlot() {}

    public static BufferedImage render(MergeWeights w, String title, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 60;
        int right = 150;
        int top = 40;
        int bottom = 50;
        int pw = width - left - right;
        int ph = height - top - bottom;
        int layers = w.numLayers();
        double lo = 0;
        double hi = 1;
        for (int e = 0; e < w.entries().size(); e++) {
            for (Group grp : Group.values()) {
                double[] v = w.groupMeans(e, grp);
                lo = Math.min(lo, Arrays.stream(v).min().orElse(0));
                hi = Math.max(hi, Arrays.stream(v).max().orElse(1));
            }
        }
        double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad;
        final double ylo = lo;
        final double yhi = hi;
        java.util.function.DoubleUnaryOperator y = v -> top + ph * (yhi - v) / (yhi - ylo);
        java.util.function.IntToDoubleFunction x = l -> left + (layers == 1 ? pw / 2.0 : pw * l / (double) (layers - 1));

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // grid and axes
        g.setColor(new Color(0xdddddd));
        double step = niceStep(yhi - ylo);
        for (double t = Math.ceil(ylo / step) * step; t <= yhi; t += step) {
            int yy = (int) Math.round(y.applyAsDouble(t));
            g.drawLine(left, yy, left + pw, yy);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, pw, ph);
        for (double t = Math.ceil(ylo / step) * step; t <= yhi; t += step) {
            int yy = (int) Math.round(y.applyAsDouble(t));
            String s = String.format("%.2f", Math.abs(t) < 1e-12 ? 0 : t);
            g.drawString(s, left - 8 - g.getFontMetrics().stringWidth(s), yy + 4);
        }
        for (int l = 0; l < layers; l++) {
            int xx = (int) Math.round(x.applyAsDouble(l));
            g.drawLine(xx, top + ph, xx, top + ph + 4);
            String s = Integer.toString(l);
            g.drawString(s, xx - g.getFontMetrics().stringWidth(s) / 2, top + ph + 18);
        }
        g.drawString("layer", left + pw / 2 - 15, height - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, top - 14);
        if (ylo < 0 && yhi > 0) {
            g.setColor(Color.GRAY);
            int y0 = (int) Math.round(y.applyAsDouble(0));
            g.drawLine(left, y0, left + pw, y0);
        }
        // lines
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        BasicStroke solid = new BasicStroke(2.2f);
        BasicStroke dashed = new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0);
        int legendY = top + 10;
        boolean anySplit = false;
        for (int e = 0; e < w.entries().size(); e++) {
            Color c = PALETTE[e % PALETTE.length];
            double[] attn = w.groupMeans(e, Group.ATTN);
            double[] mlp = w.groupMeans(e, Group.MLP);
            boolean split = !Arrays.equals(attn, mlp);
            g.setColor(c);
            g.setStroke(solid);
            g.draw(polyline(attn, x, y));
            if (split) {
                g.setStroke(dashed);
                g.draw(polyline(mlp, x, y));
            }
            for (int l = 0; l < layers; l++) {
                g.fillOval((int) Math.round(x.applyAsDouble(l)) - 3, (int) Math.round(y.applyAsDouble(attn[l])) - 3, 6, 6);
            }
            g.setStroke(solid);
            g.drawLine(left + pw + 12, legendY - 4, left + pw + 32, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(w.entries().get(e), left + pw + 38, legendY);
            anySplit |= split;
            legendY += 18;
        }
        if (anySplit) {
            g.setColor(Color.DARK_GRAY);
            g.drawString("solid: attention", left + pw + 12, legendY + 10);
            g.drawString("dashed: MLP", left + pw + 12, legendY + 28);
        }
        if (w.layout() == MergeWeights.Layout.MODULES) {
            g.setColor(Color.DARK_GRAY);
            g.drawString("per module: each", left + pw + 12, legendY + 52);
            g.drawString("group's mean", left + pw + 12, legendY + 70);
        }
        g.dispose();
        return img;
    }

    /** Renders and writes the PNG atomically. */
    public static void write(MergeWeights w, String title, Path png) {
        BufferedImage img = render(w, title, 820, 420);
        AtomicFiles.writeFile(png, temp -> {
            if (!ImageIO.write(img, "png", temp.toFile())) {
                throw new java.io.IOException("no PNG writer");
            }
        });
    }

    private static Path2D polyline(double[] v, java.util.function.IntToDoubleFunction x, java.util.function.DoubleUnaryOperator y) {
        Path2D p = new Path2D.Double();
        for (int l = 0; l < v.length; l++) {
            if (l == 0) {
                p.moveTo(x.applyAsDouble(l), y.applyAsDouble(v[l]));
            } else {
                p.lineTo(x.applyAsDouble(l), y.applyAsDouble(v[l]));
            }
        }
        return p;
    }

    private static double niceStep(double range) {
        double raw = range / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double n = raw / mag;
        return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
    }
}
