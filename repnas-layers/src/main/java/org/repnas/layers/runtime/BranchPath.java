package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.util.List;

/**
 * One branch of a block up to (not including) its final BatchNorm. An instance serves one pass: {@link #forward}
 * keeps what {@link #backward} needs.
 */
abstract class BranchPath {

    /** A BatchNorm that ran in a pass, with the names of its parameters. */
    record Norm(OdbbParams.BatchNorm names, BatchNormPass pass) {
    }

    static BranchPath of(Branch b, OdbbConvLayer conf, BlockParams params) {
        int k = conf.getKernelSize();
        int s = conf.getStride();
        int p = k / 2;
        int g = conf.getGroups();
        return switch (b) {
            case KXK -> new ConvBranch(new Conv2d(k, k, s, p, p, g), params.branchKernel(b), conf.getNOut(), params);
            case CONV_1X1 -> new ConvBranch(new Conv2d(1, 1, s, 0, 0, g), params.branchKernel(b), conf.getNOut(), params);
            case CONV_1XK -> new ConvBranch(new Conv2d(1, k, s, 0, p, g), params.branchKernel(b), conf.getNOut(), params);
            case CONV_KX1 -> new ConvBranch(new Conv2d(k, 1, s, p, 0, g), params.branchKernel(b), conf.getNOut(), params);
            case CONV_1X1_KXK -> new OneByOneKxkBranch(
                    new PaddedOneByOne(params.kernel(OdbbParams.PRE_KXK_KERNEL), g, OdbbParams.innerBn(b), p, params, conf.getBnEps()),
                    new Conv2d(k, k, s, 0, 0, g), params.branchKernel(b), conf.getNOut(), params);
            case CONV_1X1_AVG -> new OneByOneAvgBranch(
                    new PaddedOneByOne(params.branchKernel(b), g, OdbbParams.innerBn(b), p, params, conf.getBnEps()),
                    new AvgPool2d(k, s));
            case IDENTITY -> new IdentityBranch();
        };
    }

    /** The branch's output before its final BatchNorm, for input x. */
    abstract INDArray forward(INDArray x, boolean training, Memory mem);

    /** From dy = dL/d(forward output): adds the input gradient to dx and the branch's parameter gradients to their views. */
    abstract void backward(INDArray dy, InputGradient dx, Memory mem);

    /** The BatchNorms inside the branch that ran in the forward pass. */
    List<Norm> innerNorms() {
        return List.of();
    }
}
