package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The identity branch: the block input itself goes to the branch's BatchNorm. */
final class IdentityBranch extends BranchPath {

    @Override
    INDArray forward(INDArray x, boolean training, Memory mem) {
        return x;
    }

    @Override
    void backward(INDArray dy, InputGradient dx, Memory mem) {
        dx.addCopy(dy);
    }
}
