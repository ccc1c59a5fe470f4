package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One BatchNorm application over the channels of an NCHW map, forward and backward.
 *
 * <p>The map may carry a zero border of {@code pad} pixels (the inner BatchNorm of the 1x1-KxK and 1x1-AVG branches):
 * the statistics are those of the interior, and normalizing the whole map turns the border into the BatchNorm output
 * of a zero input, which is what makes those branches fuse exactly. The backward pass is the same formula for both
 * cases, with the per-channel sums taken over the whole map: through the border, gamma, beta, mean and variance get
 * gradient too.
 *
 * <p>With batch statistics (training) the mean and variance depend on the input and the backward pass includes that
 * dependence; with running statistics they are constants.
 */
final class BatchNormPass {
    /** The map normalized, padded or not; interior from {@code pad} to size - pad. */
    private final INDArray in;
    private final int pad;
    private final INDArray mean;
    private final INDArray var;
    /** Effective scale and shift (a gate has already multiplied them). */
    private final INDArray gamma;
    private final INDArray beta;
    private final double eps;
    private final boolean batchStatistics;

    private BatchNormPass(INDArray in, int pad, INDArray mean, INDArray var, INDArray gamma, INDArray beta, double eps,
                          boolean batchStatistics) {
        this.in = in;
        this.pad = pad;
        this.mean = mean;
        this.var = var;
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
        this.batchStatistics = batchStatistics;
    }

    /** Training: the interior's batch mean and biased variance, kept for backprop, the running statistics update and calibration. */
    static BatchNormPass withBatchStatistics(INDArray in, int pad, INDArray gamma, INDArray beta, double eps, Memory mem) {
        long c = in.size(1);
        INDArray mean = mem.kept(c);
        INDArray var = mem.kept(c);
        ChannelOps.moments(interior(in, pad), mean, var);
        return new BatchNormPass(in, pad, mean, var, gamma, beta, eps, true);
    }

    /** Inference: running statistics. */
    static BatchNormPass withRunningStatistics(INDArray in, int pad, INDArray runningMean, INDArray runningVar,
                                               INDArray gamma, INDArray beta, double eps) {
        return new BatchNormPass(in, pad, runningMean, runningVar, gamma, beta, eps, false);
    }

    /** The interior {@code [N, C, H - 2 pad, W - 2 pad]} of a map with a border of {@code pad}, as a view. */
    static INDArray interior(INDArray map, int pad) {
        if (pad == 0) {
            return map;
        }
        INDArrayIndex rows = NDArrayIndex.interval(pad, map.size(2) - pad);
        INDArrayIndex cols = NDArrayIndex.interval(pad, map.size(3) - pad);
        return map.get(NDArrayIndex.all(), NDArrayIndex.all(), rows, cols);
    }

    INDArray batchMean() {
        return mean;
    }

    INDArray batchVar() {
        return var;
    }

    /** out = BN(map), border included; out has the map's shape and may be the map itself. */
    void apply(INDArray out) {
        ChannelOps.normalize(in, mean, var, gamma, beta, eps, out);
    }

    /** Gradients of one BatchNorm: to its input (the whole map; only the interior matters), gamma and beta. */
    record Gradients(INDArray dIn, INDArray dGamma, INDArray dBeta) {
    }

    /**
     * Backward pass for {@code dOut} = dL/d(output), of the map's shape.
     *
     * @param dOutSum the per-channel sum of dOut if the caller already has it (the block's branches share one dOut), else null
     */
    Gradients backward(INDArray dOut, INDArray dOutSum, Memory mem) {
        long c = in.size(1);
        INDArray sumD = dOutSum;
        if (sumD == null) {
            sumD = mem.scratch(c);
            ChannelOps.sum(dOut, sumD);
        }
        INDArray sumDIn = mem.scratch(c);
        ChannelOps.dot(dOut, in, sumDIn);
        INDArray invStd = Transforms.pow(var.add(eps), -0.5, false);
        // sum of dOut * (in - mean): the border (in = 0) counts too
        INDArray centred = sumDIn.subi(mean.mul(sumD));
        INDArray dGamma = centred.mul(invStd);
        INDArray scale = gamma.mul(invStd);            // d out / d in, per channel
        INDArray dIn = mem.scratch(in.shape());
        if (!batchStatistics) {
            ChannelOps.affine(dOut, Nd4j.zeros(dOut.dataType(), c), scale, Nd4j.zeros(dOut.dataType(), c), dIn);
            return new Gradients(dIn, dGamma, sumD);
        }
        // dL/dmean = -scale * sumD, dL/dvar = -scale * invStd^2 * centred / 2; with m interior elements per channel,
        // dL/din = scale * dOut + dL/dmean / m + dL/dvar * 2 (in - mean) / m
        double m = (double) in.size(0) * (in.size(2) - 2L * pad) * (in.size(3) - 2L * pad);
        INDArray shift = scale.mul(sumD).divi(-m);
        INDArray slope = scale.mul(invStd).muli(invStd).muli(centred).divi(-m);
        ChannelOps.affine(dOut, Nd4j.zeros(dOut.dataType(), c), scale, shift, dIn);
        INDArray second = mem.scratch(in.shape());
        ChannelOps.affine(in, mean, slope, Nd4j.zeros(dOut.dataType(), c), second);
        dIn.addi(second);
        return new Gradients(dIn, dGamma, sumD);
    }
}
