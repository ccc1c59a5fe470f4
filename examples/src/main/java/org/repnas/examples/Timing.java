package org.repnas.examples;

import com.sun.management.OperatingSystemMXBean;

import java.lang.management.ManagementFactory;
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

    /**
     * The share of the machine's CPU time (0 to 1) that other processes took while {@code work} ran, or NaN where the JVM
     * cannot tell. On a busy machine ND4J's parallel ops wait for CPU time: with the two cores of the development machine
     * shared with other builds, a fused forward pass took 12 to 214 ms (median 78) instead of 6.
     */
    public static double othersCpuShareDuring(Runnable work) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os)) {
            work.run();
            return Double.NaN;
        }
        // both loads are averages since the previous call: these two calls start the window
        os.getCpuLoad();
        os.getProcessCpuLoad();
        work.run();
        double all = os.getCpuLoad(), own = os.getProcessCpuLoad();
        return all < 0 || own < 0 ? Double.NaN : Math.max(0, all - own);
    }
}
