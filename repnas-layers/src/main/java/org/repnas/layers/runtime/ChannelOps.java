package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-channel operations on NCHW maps, each one libnd4j op. Results per channel are rank-1 {@code [C]}.
 *
 * <p>Why libnd4j's batchnorm op for every per-channel affine map: it runs through oneDNN (float) and costs about as
 * much as a same-shape add, while ND4J's broadcast multiply or add along dimension 1 is 6-8x slower (measured at
 * 64x64x32x32: batchnorm 3.6 ms, broadcast multiply 25 ms, add 1.0 ms).
 */
final class ChannelOps {
    private static final int[] NHW = {0, 2, 3};

    private ChannelOps() {
    }

    /** Mean and biased variance of each channel over N, H and W (the same op SameDiff's moments runs). */
    static void moments(INDArray x, INDArray mean, INDArray var) {
        Nd4j.exec(DynamicCustomOp.builder("moments").addInputs(x).addOutputs(mean, var).addIntegerArguments(NHW).build());
    }

    /** Sum of each channel over N, H and W. */
    static double[] sum(INDArray x, Memory mem) {
        INDArray out = mem.scratch(x.size(1));
        x.sum(out, NHW);
        return ChannelVectors.read(out);
    }

    /** Per channel, the sum over N, H and W of x * y. */
    static double[] dot(INDArray x, INDArray y, Memory mem) {
        INDArray out = mem.scratch(x.size(1));
        Nd4j.exec(new Dot(x, y, out, NHW));
        return ChannelVectors.read(out);
    }

    /** out = (x - mean) * gamma / sqrt(var + eps) + beta per channel (libnd4j's batchnorm op; out may be x). */
    static void normalize(INDArray x, INDArray mean, INDArray var, INDArray gamma, INDArray beta, double eps, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("batchnorm").addInputs(x, mean, var, gamma, beta).addOutputs(out)
                .addIntegerArguments(1, 1, 1)          // apply gamma, apply beta, channel axis 1
                .addFloatingPointArguments(eps).build());
    }

    /** out = (x - centre) * scale + shift per channel: the batchnorm op with unit variance and no epsilon. */
    static void affine(INDArray x, INDArray centre, INDArray scale, INDArray shift, INDArray out, Memory mem) {
        normalize(x, centre, mem.constant(scale.length(), 1.0), scale, shift, 0.0, out);
    }
}
