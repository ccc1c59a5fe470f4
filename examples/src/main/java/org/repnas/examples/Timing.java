package org.repnas.examples;

import java.util.Arrays;

/** Wall-clock medians for benchmarks and reports. */
public final class Timing {
    private Timing() {
    }

    /** Median of {@code reps} runs after {@code warmup} unmeasured ones, in milliseconds. */
    public static double medianMs(Runnable r, int warmup, int reps) {
        return interleavedMedianMs(warmup, reps, r)[0];
    }

    public static double medianMs(Runnable r) {
        return medianMs(r, 3, 10);
    }

    /**
     * Medians, in milliseconds, of several workloads timed in turn: {@code warmup} unmeasured rounds, then {@code reps}
     * rounds that each run every workload once, starting with a different one each round.
     */
    public static double[] interleavedMedianMs(int warmup, int reps, Runnable... work) {
        for (int i = 0; i < warmup; i++) {
            for (Runnable r : work) r.run();
        }
        double[][] t = new double[work.length][reps];
        for (int i = 0; i < reps; i++) {
            for (int k = 0; k < work.length; k++) {
                int w = (i + k) % work.length;
                long s = System.nanoTime();
                work[w].run();
                t[w][i] = (System.nanoTime() - s) / 1e6;
            }
        }
        double[] medians = new double[work.length];
        for (int w = 0; w < work.length; w++) {
            Arrays.sort(t[w]);
            medians[w] = t[w][reps / 2];
        }
        return medians;
    }
}
