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
}
