package org.repnas.search;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Cosine decay per iteration, as the official RepNAS training: value(t) = base * (1 + cos(pi * t / total)) / 2,
 * then {@code min} once t passes total. Serializable with the network configuration.
 */
public class CosineSchedule implements ISchedule {
    private final double base;
    private final long totalIterations;
    private final double min;

    public CosineSchedule(@JsonProperty("base") double base, @JsonProperty("totalIterations") long totalIterations,
                          @JsonProperty("min") double min) {
        if (totalIterations < 1) {
            throw new IllegalArgumentException("cosine schedule needs at least one iteration, got " + totalIterations);
        }
        this.base = base;
        this.totalIterations = totalIterations;
        this.min = min;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration >= totalIterations) return min;
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * iteration / totalIterations));
    }

    @Override
    public ISchedule clone() {
        return new CosineSchedule(base, totalIterations, min);
    }

    public double getBase() { return base; }
    public long getTotalIterations() { return totalIterations; }
    public double getMin() { return min; }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineSchedule c && c.base == base && c.totalIterations == totalIterations && c.min == min;
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, totalIterations, min);
    }

    @Override
    public String toString() {
        return "CosineSchedule(base=" + base + ", totalIterations=" + totalIterations + ", min=" + min + ")";
    }
}
