package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightPlotTest {
    @Test
    void writesAPngWithTheEntriesDrawn(@TempDir Path dir) throws Exception {
        MergeWeights w = Parameterization.perLayerKind(List.of("a", "b"), 4)
                .decode(new double[] {0, 1, 0.5, 1, 1, 1, 1.5, 1, -0.5, 0, 0, 0, 0.2, 0, 0.4, 0});
        Path png = dir.resolve("w.png");
        WeightPlot.write(w, "weights", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(820, img.getWidth());
        // the first entry's colour appears (tab:blue)
        boolean blue = false;
        for (int x = 0; x < img.getWidth() && !blue; x++) {
            for (int y = 0; y < img.getHeight() && !blue; y++) {
                blue = (img.getRGB(x, y) & 0xffffff) == 0x1f77b4;
            }
        }
        assertEquals(true, blue);
        assertNotEquals(0xffffff, img.getRGB(60, 40) & 0xffffff); // the frame
    }

    @Test
    void perModuleWeightsAreDrawnAsEachGroupsMean() {
        MergeWeights w = MergeWeights.ofModules(List.of("a"), 2, (e, l, k) -> switch (k) {
            case Q_PROJ, QKV_PROJ -> 1.0 + l;
            case K_PROJ -> 2.0;
            case V_PROJ -> 3.0;
            case O_PROJ -> 4.0;
            default -> -1.0;
        });
        assertArrayEquals(new double[] {2.5, 2.75}, w.groupMeans(0, io.laem.engine.model.ModuleKind.Group.ATTN), 1e-12);
        assertArrayEquals(new double[] {-1, -1}, w.groupMeans(0, io.laem.engine.model.ModuleKind.Group.MLP), 1e-12);
        assertEquals(820, WeightPlot.render(w, "weights", 820, 420).getWidth());
    }
}
