package org.repnas.layers.fusion;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * A convolution kernel in OIHW layout ({@code [out, in/groups, kH, kW]}, DL4J ConvolutionLayer's and PyTorch's
 * layout) with its per-output-channel bias ({@code [out]}).
 */
public record ConvKernel(INDArray kernel, INDArray bias) {
    public ConvKernel {
        if (kernel.rank() != 4) {
            throw new IllegalArgumentException("kernel must be [out, in/groups, kH, kW], got " + Arrays.toString(kernel.shape()));
        }
        if (bias.rank() != 1 || bias.length() != kernel.size(0)) {
            throw new IllegalArgumentException("bias must be [" + kernel.size(0) + "], got " + Arrays.toString(bias.shape()));
        }
    }

    public long outChannels() {
        return kernel.size(0);
    }
}
