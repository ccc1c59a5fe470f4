package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The KxK, 1x1, 1xK and Kx1 branches: one convolution of the block input. */
final class ConvBranch extends BranchPath {
    private final Conv2d conv;
    private final BlockParams.Kernel kernel;
    private final long outChannels;
    private final BlockParams params;
    private INDArray x;

    ConvBranch(Conv2d conv, BlockParams.Kernel kernel, long outChannels, BlockParams params) {
        this.conv = conv;
        this.kernel = kernel;
        this.outChannels = outChannels;
        this.params = params;
    }

    @Override
    INDArray forward(INDArray x, boolean training, Memory mem) {
        this.x = x;
        INDArray y = mem.kept(conv.outShape(x, outChannels));
        conv.forward(x, kernel.weights(), y);
        return y;
    }

    @Override
    void backward(INDArray dy, InputGradient dx, Memory mem) {
        INDArray slot = dx.slot();
        INDArray dw = mem.scratch(kernel.weights().shape());
        conv.backward(x, kernel.weights(), dy, slot, dw);
        dx.add(slot);
        params.addGradient(kernel, dw);
    }
}
