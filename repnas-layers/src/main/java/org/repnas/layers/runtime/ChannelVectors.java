package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-channel vectors between ND4J and Java. The per-channel arithmetic of a BatchNorm (a few operations on vectors of
 * C numbers) is done in Java: as ND4J ops it was ~25 native calls per BatchNorm, about half of all op calls of a
 * training step, each costing more in call overhead than its arithmetic.
 */
final class ChannelVectors {
    private ChannelVectors() {
    }

    /** The values of a vector, or of a {@code [1, C]} row (views included). */
    static double[] read(INDArray v) {
        double[] out = new double[(int) v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.getDouble(i);
        }
        return out;
    }

    /** Writes values into a vector or a {@code [1, C]} row, e.g. a gradient view; returns it. */
    static INDArray write(INDArray target, double[] values) {
        for (int i = 0; i < values.length; i++) {
            target.putScalar(i, values[i]);
        }
        return target;
    }
}
