package io.numarrow.bench;

import java.util.Arrays;

/** The median the whole-process suites quote: the middle value, or the mean of the middle two. */
public final class Median {
    private Median() {
    }

    /** Of {@code values} (at least one), which are left in their order. */
    public static double of(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }
}
