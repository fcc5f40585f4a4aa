package io.laem.engine.bench;

/**
 * Measures this machine's memory bandwidth by copying a buffer much larger than the caches. Benchmarks
 * report their times against it, measured in the same run, so figures compare across machines.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /** Best-of-N copy bandwidth in bytes per second (read + write counted), over {@code megabytes} MB. */
    public static double measure(int megabytes, int repeats) {
        int n = megabytes * 1024 * 1024 / 4;
        float[] src = new float[n];
        float[] dst = new float[n];
        for (int i = 0; i < n; i += 1024) {
            src[i] = i;
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            System.arraycopy(src, 0, dst, 0, n);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        if (dst[n - 1024] != src[n - 1024]) {
            throw new IllegalStateException("copy failed");
        }
        return 2.0 * 4 * n / best;
    }

    /** Default measurement: 512 MB, best of 5. */
    public static double measure() {
        return measure(512, 5);
    }
}
