package org.repnas.layers.runtime;

import org.repnas.layers.GateMode;

/**
 * A branch's gate in a search: its value g, which scales the branch BatchNorm's gamma and beta, and dg/dalpha.
 * With s = sigmoid((alpha + zeta) / lambda): straight-through g = 1 + s - stopgrad(s) (value exactly 1), relaxed
 * g = s; in both, dg/dalpha = s (1 - s) / lambda.
 */
record Gate(double value, double slope) {
    /** No gate: inference, or training outside a search (alpha gets no gradient). */
    static final Gate NONE = new Gate(1.0, 0.0);

    static Gate of(GateMode mode, double alpha, double zeta, double temperature) {
        double s = 1.0 / (1.0 + Math.exp(-(alpha + zeta) / temperature));
        return new Gate(mode == GateMode.RELAXED ? s : 1.0, s * (1.0 - s) / temperature);
    }
}
