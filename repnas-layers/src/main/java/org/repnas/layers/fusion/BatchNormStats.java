package org.repnas.layers.fusion;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Inference-time BatchNorm of one layer: y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel.
 * All arrays are rank 1, {@code [channels]}.
 */
public record BatchNormStats(INDArray gamma, INDArray beta, INDArray mean, INDArray var, double eps) {

    /**
     * From DL4J's {@code BatchNormalization} layer parameters when it uses its default log10(std) parameterization
     * (parameter "log10stdev"): DL4J stores log10(sqrt(var)), without eps, so var = 10^(2 * log10std).
     */
    public static BatchNormStats fromDl4jLog10Std(INDArray gamma, INDArray beta, INDArray mean, INDArray log10Std, double eps) {
        INDArray var = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, log10Std.dataType()), log10Std.mul(2.0), false);
        return new BatchNormStats(flat(gamma), flat(beta), flat(mean), flat(var), eps);
    }

    /** From arrays of any rank holding one value per channel (e.g. DL4J's {@code [1, channels]} parameters). */
    public static BatchNormStats of(INDArray gamma, INDArray beta, INDArray mean, INDArray var, double eps) {
        return new BatchNormStats(flat(gamma), flat(beta), flat(mean), flat(var), eps);
    }

    /** gamma / sqrt(var + eps): the per-channel scale BN applies at inference. */
    public INDArray scale() {
        return gamma.div(Transforms.sqrt(var.add(eps), false));
    }

    /** beta - mean * scale: the BN output for a zero input. */
    public INDArray shift() {
        return beta.sub(mean.mul(scale()));
    }

    public long channels() {
        return gamma.length();
    }

    private static INDArray flat(INDArray a) {
        return a.reshape(a.length());
    }
}
