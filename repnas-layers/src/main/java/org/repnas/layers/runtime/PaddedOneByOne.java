package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.repnas.layers.OdbbParams;

/**
 * The head of the 1x1-KxK and 1x1-AVG branches: a stride-1 1x1 convolution, then a BatchNorm whose output is padded
 * with the BatchNorm output of a zero input. The convolution writes into the interior of a zero-bordered map and the
 * BatchNorm normalizes the whole map with the interior's statistics, which gives exactly that border.
 */
final class PaddedOneByOne {
    private final Conv2d conv;
    private final BlockParams.Kernel kernel;
    private final OdbbParams.BatchNorm names;
    private final int pad;
    private final BlockParams params;
    private final double eps;
    private INDArray x;
    private BatchNormPass bn;

    PaddedOneByOne(BlockParams.Kernel kernel, int groups, OdbbParams.BatchNorm names, int pad, BlockParams params, double eps) {
        this.conv = new Conv2d(1, 1, 1, 0, 0, groups);
        this.kernel = kernel;
        this.names = names;
        this.pad = pad;
        this.params = params;
        this.eps = eps;
    }

    /** The padded, normalized map {@code [N, C, H + 2 pad, W + 2 pad]}. */
    INDArray forward(INDArray x, boolean training, Memory mem) {
        this.x = x;
        long c = kernel.weights().size(3);
        INDArray padded = mem.keptZeros(x.size(0), c, x.size(2) + 2L * pad, x.size(3) + 2L * pad);
        conv.forward(x, kernel.weights(), BatchNormPass.interior(padded, pad));
        INDArray gamma = params.vector(names.gamma());
        INDArray beta = params.vector(names.beta());
        bn = training ? BatchNormPass.withBatchStatistics(padded, pad, gamma, beta, eps, mem)
                : BatchNormPass.withRunningStatistics(padded, pad, params.vector(names.mean()), params.vector(names.var()),
                gamma, beta, eps);
        INDArray out = mem.kept(padded.shape());
        bn.apply(out);
        return out;
    }

    /** From dOut = dL/d(forward output), padded shape. */
    void backward(INDArray dOut, InputGradient dx, Memory mem) {
        BatchNormPass.Gradients g = bn.backward(dOut, null, mem);
        ChannelVectors.write(params.grad(names.gamma()), g.dGamma());
        ChannelVectors.write(params.grad(names.beta()), g.dBeta());
        INDArray slot = dx.slot();
        INDArray dw = mem.scratch(kernel.weights().shape());
        conv.backward(x, kernel.weights(), BatchNormPass.interior(g.dIn(), pad), slot, dw);
        dx.add(slot);
        params.addGradient(kernel, dw);
    }

    BranchPath.Norm norm() {
        return new BranchPath.Norm(names, bn);
    }
}
