package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The block's input gradient, summed over branches in place: the first branch writes straight into the result, later
 * ones into scratch that is then added.
 */
final class InputGradient {
    private final INDArray sum;
    private final Memory mem;
    private boolean empty = true;

    InputGradient(INDArray result, Memory mem) {
        this.sum = result;
        this.mem = mem;
    }

    /** Where to write the next contribution; pass it to {@link #add} once written. */
    INDArray slot() {
        return empty ? sum : mem.scratch(sum.shape());
    }

    void add(INDArray written) {
        if (written != sum) {
            sum.addi(written);
        }
        empty = false;
    }

    /** Adds a contribution that already exists elsewhere (the identity branch's). */
    void addCopy(INDArray contribution) {
        if (empty) {
            sum.assign(contribution);
        } else {
            sum.addi(contribution);
        }
        empty = false;
    }

    INDArray result() {
        if (empty) {
            sum.assign(0);
        }
        return sum;
    }
}
