package org.repnas.examples;

import java.util.Arrays;

/** Wall-clock medians for benchmarks and reports. */
public final class Timing {
    private Timing() {
    }

    /** Median of {@code reps} runs after {@code warmup} unmeasured ones, in milliseconds. */
    public static double medianMs(Runnable r, int warmup, int reps) {
        for (int i = 0; i < warmup; i++) r.run();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    public static double medianMs(Runnable r) {
        return medianMs(r, 3, 10);
    }
}
