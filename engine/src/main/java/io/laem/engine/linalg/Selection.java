package io.laem.engine.linalg;

import java.util.SplittableRandom;

/** Order statistics without sorting: quickselect, O(n) expected. */
public final class Selection {
    private Selection() {}

    /**
     * The value of rank {@code k} (0-based, ascending) among {@code a[from, to)}, reordering that range so
     * that every element before index k is at most that value and every element after at least it.
     */
    public static float select(float[] a, int from, int to, int k) {
        int lo = from;
        int hi = to - 1;
        SplittableRandom rnd = new SplittableRandom(k);
        while (lo < hi) {
            float pivot = a[lo + rnd.nextInt(hi - lo + 1)];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float tmp = a[i];
                    a[i] = a[j];
                    a[j] = tmp;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    /**
     * The k-th largest magnitude |x_i| (k from 1), by a two-pass radix select on the float bits (for
     * non-negative floats the bit patterns order like the values): a histogram of the upper 16 bits
     * finds the bucket, a histogram of the lower 16 bits inside it the exact value. Two linear passes,
     * no copy of the data; x must be free of NaN.
     */
    public static float kthLargestMagnitude(float[] x, int k) {
        if (k < 1 || k > x.length) {
            throw new IllegalArgumentException("k = " + k + " of " + x.length);
        }
        int[] high = new int[1 << 16];
        for (float v : x) {
            high[(Float.floatToRawIntBits(v) & 0x7FFFFFFF) >>> 16]++;
        }
        int bucket = high.length - 1;
        int above = 0;
        while (above + high[bucket] < k) {
            above += high[bucket--];
        }
        int[] low = new int[1 << 16];
        for (float v : x) {
            int bits = Float.floatToRawIntBits(v) & 0x7FFFFFFF;
            if (bits >>> 16 == bucket) {
                low[bits & 0xFFFF]++;
            }
        }
        int l = low.length - 1;
        while (above + low[l] < k) {
            above += low[l--];
        }
        return Float.intBitsToFloat((bucket << 16) | l);
    }
}
