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

    /**
     * Best-of-N read bandwidth in bytes per second: {@code threads} threads each sum their share of a
     * {@code megabytes} MB buffer once (bytes read counted). What streaming weights can reach at most with
     * that many threads; a context figure next to the copy probe.
     */
    public static double measureRead(int megabytes, int threads, int repeats) {
        int n = megabytes * 1024 * 1024 / 8;
        long[] data = new long[n];
        for (int i = 0; i < n; i += 512) {
            data[i] = i;
        }
        int parts = Math.max(1, threads);
        int share = (n + parts - 1) / parts;
        double best = Double.MAX_VALUE;
        long check = 0;
        for (int r = 0; r < repeats; r++) {
            long[] sums = new long[parts];
            Thread[] workers = new Thread[parts - 1];
            long t0 = System.nanoTime();
            for (int p = 1; p < parts; p++) {
                int from = p * share;
                int part = p;
                workers[p - 1] = Thread.ofPlatform().start(() -> sums[part] = sum(data, from, Math.min(n, from + share)));
            }
            sums[0] = sum(data, 0, Math.min(n, share));
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            check = java.util.Arrays.stream(sums).sum();
        }
        long want = 0;
        for (int i = 0; i < n; i += 512) {
            want += i;
        }
        if (check != want) {
            throw new IllegalStateException("read probe summed " + check + ", expected " + want);
        }
        return 8.0 * n / best;
    }

    /** A loop the JIT vectorizes (long additions reassociate freely, float ones do not). */
    private static long sum(long[] a, int from, int to) {
        long s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s;
    }
}
