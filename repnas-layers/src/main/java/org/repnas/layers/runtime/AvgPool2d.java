package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** KxK average pooling of an NCHW map without padding (the 1x1-AVG branch pads its input itself). */
record AvgPool2d(int k, int stride) {

    long[] outShape(INDArray x) {
        return new long[]{x.size(0), x.size(1), (x.size(2) - k) / stride + 1, (x.size(3) - k) / stride + 1};
    }

    void forward(INDArray x, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("avgpool2d").addInputs(x).addOutputs(out).addIntegerArguments(args()).build());
    }

    /** dx = dL/dx (overwritten) for dy = dL/d(pool(x)). */
    void backward(INDArray x, INDArray dy, INDArray dx) {
        Nd4j.exec(DynamicCustomOp.builder("avgpool2d_bp").addInputs(x, dy).addOutputs(dx).addIntegerArguments(args()).build());
    }

    private int[] args() {
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode off, divisor mode (irrelevant without padding), NCHW
        return new int[]{k, k, stride, stride, 0, 0, 1, 1, 0, 0, 0};
    }
}
