package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/** The 1x1-AVG branch: 1x1 convolution, padded BatchNorm, then KxK average pooling without padding. */
final class OneByOneAvgBranch extends BranchPath {
    private final PaddedOneByOne head;
    private final AvgPool2d pool;
    private INDArray mid;

    OneByOneAvgBranch(PaddedOneByOne head, AvgPool2d pool) {
        this.head = head;
        this.pool = pool;
    }

    @Override
    INDArray forward(INDArray x, boolean training, Memory mem) {
        mid = head.forward(x, training, mem);
        INDArray y = mem.kept(pool.outShape(mid));
        pool.forward(mid, y);
        return y;
    }

    @Override
    void backward(INDArray dy, InputGradient dx, Memory mem) {
        INDArray dMid = mem.scratch(mid.shape());
        pool.backward(mid, dy, dMid);
        head.backward(dMid, dx, mem);
    }

    @Override
    List<Norm> innerNorms() {
        return List.of(head.norm());
    }
}
