package org.repnas.search;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Cosine decay per iteration, as the official RepNAS training: over iterations [first, first + total) the value falls
 * from {@code base} to {@code min} as base + (min - base) * (1 - cos(pi * t / total)) / 2; before {@code first} it is
 * {@code base}, after the window {@code min}. The weights' learning rate uses the window [0, all iterations); alpha's
 * weight decay the search epochs. Serializable with the network configuration.
 */
public class CosineSchedule implements ISchedule {
    private final double base;
    private final long firstIteration;
    private final long totalIterations;
    private final double min;

    public CosineSchedule(@JsonProperty("base") double base, @JsonProperty("firstIteration") long firstIteration,
                          @JsonProperty("totalIterations") long totalIterations, @JsonProperty("min") double min) {
        if (totalIterations < 1 || firstIteration < 0) {
            throw new IllegalArgumentException("cosine schedule needs at least one iteration from iteration 0 on, got "
                    + totalIterations + " from " + firstIteration);
        }
        this.base = base;
        this.firstIteration = firstIteration;
        this.totalIterations = totalIterations;
        this.min = min;
    }

    /** From {@code base} at iteration 0 to {@code min} at {@code totalIterations}. */
    public CosineSchedule(double base, long totalIterations, double min) {
        this(base, 0, totalIterations, min);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        long t = iteration - firstIteration;
        if (t < 0) return base;
        if (t >= totalIterations) return min;
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * t / totalIterations));
    }

    @Override
    public ISchedule clone() {
        return this;            // immutable
    }

    public double getBase() { return base; }
    public long getFirstIteration() { return firstIteration; }
    public long getTotalIterations() { return totalIterations; }
    public double getMin() { return min; }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineSchedule c && c.base == base && c.firstIteration == firstIteration
                && c.totalIterations == totalIterations && c.min == min;
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, firstIteration, totalIterations, min);
    }

    @Override
    public String toString() {
        return "CosineSchedule(base=" + base + ", iterations " + firstIteration + ".." + (firstIteration + totalIterations)
                + ", min=" + min + ")";
    }
}
