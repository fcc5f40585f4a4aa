package io.laem.engine.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.laem.engine.LaemException;
import io.laem.engine.progress.CancellationToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterTest {
    /** Three Gaussian clusters in 5-D around distinct centres; a held-out sample is routed to its centre. */
    @Test
    void learnsSeparableDomains() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[][] centres = {{3, 0, 0, 0, 0}, {0, 3, 0, 0, 0}, {0, 0, -3, 0, 1}};
        int n = 300;
        float[][] x = new float[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            x[i] = noisy(centres[y[i]], rnd);
        }
        Router r = RouterTrainer.train(List.of("a", "b", "c"), x, y, RouterTrainer.Options.defaults(), CancellationToken.NONE);
        int correct = 0;
        for (int i = 0; i < 90; i++) {
            int c = i % 3;
            correct += r.route(noisy(centres[c], rnd)) == c ? 1 : 0;
        }
        assertEquals(90, correct);
        double[] p = r.probabilities(centres[1]);
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-9);
    }

    @Test
    void savesAndLoadsExactly(@TempDir Path dir) {
        Router r = new Router(List.of("x", "y"), new float[] {1, 2}, new float[] {0.5f, 3}, new float[] {1, -1, 0.25f, 2}, new float[] {0.1f, -0.1f});
        r.save(dir.resolve("router"), "base", java.util.Map.of("x", dir.resolve("ax"), "y", dir.resolve("ay")));
        assertEquals(dir.resolve("ax"), Router.experts(dir.resolve("router")).get("x"));
        Router back = Router.load(dir.resolve("router"));
        assertEquals(r.labels(), back.labels());
        assertArrayEquals(r.weight(), back.weight());
        assertArrayEquals(r.std(), back.std());
        assertArrayEquals(r.probabilities(new float[] {0.3f, 4}), back.probabilities(new float[] {0.3f, 4}), 0);
    }

    @Test
    void refusesFeaturesOfAnotherSize(@TempDir Path dir) throws Exception {
        Router r = new Router(List.of("x"), new float[] {0}, new float[] {1}, new float[] {1}, new float[] {0});
        LaemException e = assertThrows(LaemException.class, () -> r.route(new float[] {1, 2}));
        assertEquals("router expects 1 features, got 2: router for another base?", e.getMessage());
        Files.createDirectories(dir.resolve("bad"));
        Files.writeString(dir.resolve("bad/router.json"), "{\"labels\": []}");
        assertThrows(LaemException.class, () -> Router.load(dir.resolve("bad")));
    }

    private static float[] noisy(float[] c, SplittableRandom rnd) {
        float[] v = c.clone();
        for (int j = 0; j < v.length; j++) {
            v[j] += (float) (rnd.nextDouble() - 0.5);
        }
        return v;
    }
}
