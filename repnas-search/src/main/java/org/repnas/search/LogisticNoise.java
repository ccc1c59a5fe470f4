package org.repnas.search;

/**
 * Logistic(0, 1) noise zeta as a pure function of (seed, iteration, branch): no generator state to save, so a resumed
 * search draws exactly the numbers an uninterrupted one would. zeta = log(u / (1 - u)), u uniform in (0, 1) from a
 * SplitMix64 hash.
 */
public final class LogisticNoise {
    private final long seed;

    public LogisticNoise(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** The noise of global branch number {@code branch} in training iteration {@code iteration}. */
    public double zeta(long iteration, int branch) {
        long h = mix(mix(seed ^ 0x9E3779B97F4A7C15L) + iteration * 0xD1B54A32D192ED03L + branch * 0xABC98388FB8FAC03L);
        double u = ((h >>> 11) + 0.5) / (1L << 53);           // (0, 1), never 0 or 1
        return Math.log(u / (1 - u));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
