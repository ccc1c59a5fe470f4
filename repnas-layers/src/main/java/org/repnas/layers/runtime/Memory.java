package org.repnas.layers.runtime;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the runtime's arrays live, in DL4J's workspaces of the current call, so that no array is left for the
 * garbage collector to free: {@link #kept} arrays must survive until backprop, {@link #scratch} arrays only until the
 * current call returns.
 *
 * <p>In a training forward pass kept arrays go to {@link ArrayType#ACTIVATIONS}: DL4J keeps every layer's activations
 * (the next layer's input) until the backward pass of the same iteration is done, in MultiLayerNetwork and
 * ComputationGraph alike. Everything else is working memory of the call.
 */
public final class Memory {
    private final LayerWorkspaceMgr mgr;
    private final DataType type;
    private final ArrayType kept;
    private final ArrayType scratch;
    private final ArrayType result;
    private final Map<List<Object>, INDArray> constants = new HashMap<>();

    private Memory(LayerWorkspaceMgr mgr, DataType type, ArrayType kept, ArrayType scratch, ArrayType result) {
        this.mgr = mgr;
        this.type = type;
        this.kept = kept;
        this.scratch = scratch;
        this.result = result;
    }

    /** A forward pass, resulting in the layer's activations: in training, what backprop needs is kept with them. */
    public static Memory forward(LayerWorkspaceMgr mgr, DataType type, boolean training) {
        return new Memory(mgr, type, training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM, ArrayType.FF_WORKING_MEM,
                ArrayType.ACTIVATIONS);
    }

    /** A backward pass, resulting in the gradient to the layer's input. */
    public static Memory backward(LayerWorkspaceMgr mgr, DataType type) {
        return new Memory(mgr, type, ArrayType.BP_WORKING_MEM, ArrayType.BP_WORKING_MEM, ArrayType.ACTIVATION_GRAD);
    }

    /** A training forward pass repeated inside backprop (its activations are not returned to DL4J). */
    public static Memory repeatedForward(LayerWorkspaceMgr mgr, DataType type) {
        return new Memory(mgr, type, ArrayType.BP_WORKING_MEM, ArrayType.BP_WORKING_MEM, ArrayType.BP_WORKING_MEM);
    }

    DataType type() {
        return type;
    }

    INDArray kept(long... shape) {
        return mgr.createUninitialized(kept, type, shape);
    }

    INDArray keptZeros(long... shape) {
        return mgr.create(kept, type, shape);
    }

    INDArray scratch(long... shape) {
        return mgr.createUninitialized(scratch, type, shape);
    }

    INDArray scratchZeros(long... shape) {
        return mgr.create(scratch, type, shape);
    }

    /**
     * {@code a} itself if it is a plain C-order array, else a C-order copy (kept or scratch). DL4J hands layers
     * permuted views (CnnLossLayer's epsilon is an NHWC array seen as NCHW), and libnd4j's per-channel dot product
     * (reduce3 along N, H, W) of such a view with a C-order array is garbage, so the block works in C order only.
     */
    INDArray cOrder(INDArray a, boolean keep) {
        if (a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)) {
            return a;
        }
        return (keep ? kept(a.shape()) : scratch(a.shape())).assign(a);
    }

    /** A scratch vector holding {@code values}. */
    INDArray vector(double[] values) {
        return ChannelVectors.write(scratch(values.length), values);
    }

    /** A vector of {@code length} times {@code value}, made once per pass (do not modify it). */
    INDArray constant(long length, double value) {
        return constants.computeIfAbsent(List.of(length, value), k -> scratch(length).assign(value));
    }

    /** The array this pass hands back to DL4J: the layer's activations, or the gradient to its input. */
    INDArray result(long... shape) {
        return mgr.createUninitialized(result, type, shape);
    }
}
