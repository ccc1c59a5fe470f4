package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One convolution of the block: NCHW input, YXIO kernel {@code [kH, kW, in/groups, out]}, no bias, dilation 1. libnd4j
 * has no grouped convolution, so groups run as per-group convolutions on channel views (the ops read and write
 * strided views directly; nothing is copied).
 */
record Conv2d(int kh, int kw, int stride, int padH, int padW, int groups) {

    long outSize(long in, int k, int pad) {
        return (in + 2L * pad - k) / stride + 1;
    }

    /** The output shape for input {@code x} and {@code outChannels}. */
    long[] outShape(INDArray x, long outChannels) {
        return new long[]{x.size(0), outChannels, outSize(x.size(2), kh, padH), outSize(x.size(3), kw, padW)};
    }

    /** out = conv(x, w); out may be a view. */
    void forward(INDArray x, INDArray w, INDArray out) {
        for (int g = 0; g < groups; g++) {
            Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(group(x, 1, g), group(w, 3, g))
                    .addOutputs(group(out, 1, g)).addIntegerArguments(args()).build());
        }
    }

    /** dx = dL/dx and dw = dL/dw (both overwritten) for dy = dL/d(conv(x, w)). */
    void backward(INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw) {
        for (int g = 0; g < groups; g++) {
            Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(group(x, 1, g), group(w, 3, g), group(dy, 1, g))
                    .addOutputs(group(dx, 1, g), group(dw, 3, g)).addIntegerArguments(args()).build());
        }
    }

    private int[] args() {
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode off, NCHW, weights YXIO. Explicit kH/kW: conv2d_bp does not infer them.
        return new int[]{kh, kw, stride, stride, padH, padW, 1, 1, 0, 0, 0};
    }

    /**
     * Group g's slice of dimension {@code dim} (1: NCHW channels; 3: the kernel's output channels), as a view built from
     * strides: ND4J M2.1's {@code get(...)} on a view with an offset (a padded map's interior, a kernel crop) can
     * return a wrong array.
     */
    private INDArray group(INDArray a, int dim, int g) {
        if (groups == 1) {
            return a;
        }
        long[] shape = a.shape().clone();      // shape() is the array's own
        shape[dim] /= groups;
        long[] stride = a.stride();
        return Nd4j.create(a.data(), shape, stride, a.offset() + g * shape[dim] * stride[dim], a.ordering());
    }
}
