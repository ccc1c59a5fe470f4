package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/** The 1x1-KxK branch: 1x1 convolution, padded BatchNorm, then a KxK convolution without padding. */
final class OneByOneKxkBranch extends BranchPath {
    private final PaddedOneByOne head;
    private final Conv2d conv;
    private final BlockParams.Kernel kernel;
    private final long outChannels;
    private final BlockParams params;
    private INDArray mid;

    OneByOneKxkBranch(PaddedOneByOne head, Conv2d conv, BlockParams.Kernel kernel, long outChannels, BlockParams params) {
        this.head = head;
        this.conv = conv;
        this.kernel = kernel;
        this.outChannels = outChannels;
        this.params = params;
    }

    @Override
    INDArray forward(INDArray x, boolean training, Memory mem) {
        mid = head.forward(x, training, mem);
        INDArray y = mem.kept(conv.outShape(mid, outChannels));
        conv.forward(mid, kernel.weights(), y);
        return y;
    }

    @Override
    void backward(INDArray dy, InputGradient dx, Memory mem) {
        INDArray dMid = mem.scratch(mid.shape());
        INDArray dw = mem.scratch(kernel.weights().shape());
        conv.backward(mid, kernel.weights(), dy, dMid, dw);
        params.addGradient(kernel, dw);
        head.backward(dMid, dx, mem);
    }

    @Override
    List<Norm> innerNorms() {
        return List.of(head.norm());
    }
}
