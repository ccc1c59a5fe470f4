package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * The interior {@code [N, C, H - 2 pad, W - 2 pad]} of a map with a border of {@code pad}, as a view built from
     * strides (ND4J M2.1's {@code get(...)} is unreliable on views with an offset).
     */
    static INDArray interior(INDArray map, int pad) {
        if (pad == 0) {
            return map;
        }
        long[] stride = map.stride();
        long[] shape = {map.size(0), map.size(1), map.size(2) - 2L * pad, map.size(3) - 2L * pad};
        return Nd4j.create(map.data(), shape, stride, map.offset() + pad * stride[2] + pad * stride[3], map.ordering());
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
    record Gradients(INDArray dIn, double[] dGamma, double[] dBeta) {
    }

    /**
     * Backward pass of a training pass (batch statistics) for {@code dOut} = dL/d(output), of the map's shape.
     *
     * @param dOutSum the per-channel sum of dOut if the caller already has it (the block's branches share one dOut), else null
     */
    Gradients backward(INDArray dOut, double[] dOutSum, Memory mem) {
        if (!batchStatistics) {
            throw new IllegalStateException("only a training pass (batch statistics) has a backward pass");
        }
        double[] sumD = dOutSum != null ? dOutSum : ChannelOps.sum(dOut, mem);
        double[] sumDIn = ChannelOps.dot(dOut, in, mem);
        double[] mu = ChannelVectors.read(mean);
        double[] sigma2 = ChannelVectors.read(var);
        double[] g = ChannelVectors.read(gamma);
        double m = (double) in.size(0) * (in.size(2) - 2L * pad) * (in.size(3) - 2L * pad);   // interior elements
        int c = mu.length;
        double[] dGamma = new double[c];
        double[] scale = new double[c];
        double[] shift = new double[c];
        double[] slope = new double[c];
        for (int i = 0; i < c; i++) {
            double invStd = 1.0 / Math.sqrt(sigma2[i] + eps);
            double centred = sumDIn[i] - mu[i] * sumD[i];           // sum of dOut * (in - mean), border included
            dGamma[i] = centred * invStd;
            scale[i] = g[i] * invStd;                               // d out / d in
            shift[i] = -scale[i] * sumD[i] / m;                     // dL/dmean / m, dL/dmean = -scale * sumD
            slope[i] = -scale[i] * invStd * invStd * centred / m;   // 2 dL/dvar / m, dL/dvar = -scale invStd^2 centred / 2
        }
        // dL/din = scale * dOut + dL/dmean / m + 2 dL/dvar (in - mean) / m
        INDArray dIn = mem.scratch(in.shape());
        ChannelOps.affine(dOut, mem.constant(c, 0.0), mem.vector(scale), mem.vector(shift), dIn, mem);
        INDArray second = mem.scratch(in.shape());
        ChannelOps.affine(in, mean, mem.vector(slope), mem.constant(c, 0.0), second, mem);
        dIn.addi(second);
        return new Gradients(dIn, dGamma, sumD);
    }
}
