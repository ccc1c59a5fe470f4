package org.repnas.layers.fusion;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A fused block: one KxK convolution (OIHW kernel {@code [out, in/groups, K, K]}) with bias, stride, padding K/2,
 * groups, followed by an activation.
 */
public record FusedConv(ConvKernel conv, int stride, int groups, IActivation activation) {

    public int kernelSize() {
        return (int) conv.kernel().size(2);
    }

    public int padding() {
        return kernelSize() / 2;
    }

    public long outChannels() {
        return conv.kernel().size(0);
    }

    public long inChannels() {
        return conv.kernel().size(1) * groups;
    }

    /**
     * The kernel as an ungrouped {@code [out, in, K, K]} kernel (block-diagonal across groups), for layers without
     * grouped convolution such as DL4J's ConvolutionLayer. Equal to {@code conv().kernel()} when groups is 1.
     */
    public INDArray denseKernel() {
        INDArray k = conv.kernel();
        if (groups == 1) {
            return k;
        }
        long outPerGroup = k.size(0) / groups;
        long inPerGroup = k.size(1);
        INDArray dense = Nd4j.zeros(k.dataType(), k.size(0), inPerGroup * groups, k.size(2), k.size(3));
        for (int g = 0; g < groups; g++) {
            dense.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup),
                    NDArrayIndex.interval(g * inPerGroup, (g + 1) * inPerGroup), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(k.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup), NDArrayIndex.all(),
                            NDArrayIndex.all(), NDArrayIndex.all()));
        }
        return dense;
    }

    /** Runs the fused block on an NCHW input (reference implementation with ND4J ops; no activation if null). */
    public INDArray apply(INDArray input) {
        INDArray w = ReparamTransforms.oihwToYxio(denseKernel()).castTo(input.dataType());
        Conv2DConfig cfg = Conv2DConfig.builder().kH(kernelSize()).kW(kernelSize()).sH(stride).sW(stride)
                .pH(padding()).pW(padding()).dataFormat(Conv2DConfig.NCHW).build();
        INDArray out = Nd4j.cnn().conv2d(input, w, conv.bias().castTo(input.dataType()), cfg);
        return activation == null ? out : activation.getActivation(out, false);
    }
}
