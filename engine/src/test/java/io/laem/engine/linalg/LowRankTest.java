package io.laem.engine.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LowRankTest {
    @Test
    void randomizedPathRecoversALowRankMatrixAndItsEnergy() {
        // 300 x 200 of rank 5 plus tiny noise: the randomized range finder (min dim 200 > 128) must
        // find the rank-5 part; retained energy = 1 - noise share
        int out = 300;
        int in = 200;
        SplittableRandom r = new SplittableRandom(1);
        float[] d = new float[out * in];
        double[][] u = new double[5][out];
        double[][] v = new double[5][in];
        for (int j = 0; j < 5; j++) {
            for (int i = 0; i < out; i++) {
                u[j][i] = r.nextGaussian();
            }
            for (int i = 0; i < in; i++) {
                v[j][i] = r.nextGaussian() * (5 - j);
            }
        }
        double signal = 0;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int j = 0; j < 5; j++) {
                    s += u[j][o] * v[j][i];
                }
                d[o * in + i] = (float) s;
                signal += s * s;
            }
        }
        float[] clean = d.clone();
        double noise = 0;
        for (int i = 0; i < d.length; i++) {
            double e = 1e-3 * r.nextGaussian();
            d[i] += (float) e;
            noise += e * e;
        }
        Factors f = LowRank.dense(d, out, in, 5, 7);
        assertEquals(5, f.rank());
        assertTrue(f.retainedEnergy() > 1 - 2 * noise / signal && f.retainedEnergy() <= 1, "retained " + f.retainedEnergy());
        double err = 0;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int j = 0; j < 5; j++) {
                    s += (double) f.b()[o * 5 + j] * f.a()[j * in + i];
                }
                err += (s - clean[o * in + i]) * (s - clean[o * in + i]);
            }
        }
        assertTrue(err < 4 * noise, "reconstruction error " + err + " vs noise " + noise);
    }
}
