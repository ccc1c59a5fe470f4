package org.repnas.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.fusion.FusedConv;
import org.repnas.layers.fusion.OdbbFusion;
import org.repnas.layers.runtime.BlockParams;
import org.repnas.layers.runtime.BlockPass;
import org.repnas.layers.runtime.Memory;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The runtime of {@link OdbbConvLayer}: forward and backward passes written directly with libnd4j ops
 * ({@link BlockPass}), no SameDiff graph. The training forward pass keeps the intermediates backprop needs in DL4J's
 * activations workspace, so backprop does not run the forward pass again; whatever the configuration says (active
 * branches, gates, temperature, epsilon, activation) takes effect at the next pass.
 *
 * <p>It extends DL4J's SameDiff layer implementation for its parameter and gradient views only (the configuration
 * stays a {@code SameDiffLayer}); DL4J's SameDiff graph of the layer is never built.
 */
public class OdbbConvLayerImpl extends SameDiffLayer {

    /** While calibrating: per running-statistic parameter, the sum of batch statistics and the number of batches. */
    private Map<String, INDArray> calibrationSums;
    private int calibrationBatches;
    /** The last training forward pass, for backprop, and the input it ran on. */
    private BlockPass trainingPass;
    private INDArray trainingInput;
    /** Training forward passes backprop had to run again because the kept one was gone (see {@link #backpropGradient}). */
    private int repeatedForwardPasses;

    public OdbbConvLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    public OdbbConvLayer odbbConf() {
        return (OdbbConvLayer) layerConf();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Gates

    /**
     * Sets the logistic noise zeta of each active branch for the coming training iterations: training then multiplies
     * every active branch by a straight-through gate (value 1, gradient of sigmoid((alpha + zeta) / lambda) to
     * alpha). {@code null} removes the gates (alpha then gets no gradient).
     */
    public void setGateNoise(Map<Branch, Double> zeta) {
        odbbConf().setGateNoise(zeta);
    }

    public Map<Branch, Double> getGateNoise() {
        return odbbConf().getGateNoise();
    }

    /** Current value of a branch's architecture parameter alpha. */
    public double alpha(Branch b) {
        INDArray a = getParam(OdbbParams.alpha(b));
        if (a == null) {
            throw new IllegalArgumentException("Block has no branch " + b + " (present: " + odbbConf().getPresentBranches() + ")");
        }
        return a.getDouble(0);
    }

    /**
     * Starts re-estimating the running statistics of the active branches (BatchNorm recalibration, as one-shot NAS
     * does before evaluating a subnet of a supernet): every training-mode forward pass from now on adds its batch
     * statistics, and {@link #finishCalibration()} makes their average the running statistics.
     */
    public void startCalibration() {
        calibrationSums = new HashMap<>();
        calibrationBatches = 0;
    }

    /** Ends a calibration: running mean and variance of every calibrated BatchNorm become the batch averages. */
    public void finishCalibration() {
        if (calibrationSums == null) {
            throw new IllegalStateException(layerId() + ": finishCalibration() without startCalibration()");
        }
        for (Map.Entry<String, INDArray> e : calibrationSums.entrySet()) {
            paramTable.get(e.getKey()).assign(e.getValue().div(calibrationBatches));
        }
        calibrationSums = null;
    }

    /** This block's active branches as one KxK convolution with bias (inference semantics). */
    public FusedConv fuse() {
        return OdbbFusion.fuse(odbbConf(), paramTable());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Forward and backward

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        BlockPass pass = BlockPass.forward(odbbConf(), new BlockParams(odbbConf(), paramTable), checkedInput(),
                training, odbbConf().getGateNoise(), Memory.forward(workspaceMgr, dataType, training));
        if (training) {
            trainingPass = pass;
            trainingInput = input;
            if (calibrationSums != null) {
                accumulate(pass.batchStatistics());
            }
        }
        return pass.output();
    }

    private void accumulate(Map<String, INDArray> batchStatistics) {
        // the batch statistics live in DL4J's workspace; the sums must outlive it
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (Map.Entry<String, INDArray> e : batchStatistics.entrySet()) {
                INDArray v = e.getValue().reshape(1, e.getValue().length()).dup();
                calibrationSums.merge(e.getKey(), v, INDArray::addi);
            }
        }
        calibrationBatches++;
    }

    /**
     * Backprop of the last training forward pass. DL4J keeps a layer's activations until the backward pass of the
     * same iteration, and so the intermediates kept with them; should they be gone (backprop without a training
     * forward pass on the same input, or after its workspace was closed), the forward pass runs again here.
     */
    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        BlockPass pass = trainingPass;
        if (pass == null || trainingInput != input || !pass.canDifferentiate()) {
            pass = BlockPass.forward(odbbConf(), new BlockParams(odbbConf(), paramTable), checkedInput(), true,
                    odbbConf().getGateNoise(), Memory.repeatedForward(workspaceMgr, dataType));
            repeatedForwardPasses++;
        }
        trainingPass = null;
        trainingInput = null;
        gradients.assign(0);        // parameters the pass did not use get zero gradient
        INDArray dLdIn = pass.backward(epsilon.dataType() == dataType ? epsilon : epsilon.castTo(dataType), gradTable,
                Memory.backward(workspaceMgr, dataType));
        pass.writeRunningStatisticSteps(odbbConf().getBnDecay());
        Gradient gradient = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            gradient.gradientForVariable().put(p, gradTable.get(p));
        }
        return new Pair<>(gradient, dLdIn);
    }

    /** How often backprop had to repeat the forward pass (for tests: DL4J's training loops never need it). */
    int repeatedForwardPasses() {
        return repeatedForwardPasses;
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return !OdbbParams.role(paramName).isRunningStatistic();
    }

    /** The input, checked against what the block expects, in the network's data type. */
    private INDArray checkedInput() {
        OdbbConvLayer c = odbbConf();
        if (input.rank() != 4) {
            throw new IllegalArgumentException(layerId() + ": OdbbConvLayer expects NCHW input of rank 4 [minibatch, "
                    + c.getNIn() + ", height, width], got rank " + input.rank() + " " + Arrays.toString(input.shape())
                    + ". For flattened images set the network's input type, e.g. "
                    + ".setInputType(InputType.convolutionalFlat(28, 28, 1)).");
        }
        if (input.size(1) != c.getNIn()) {
            throw new IllegalArgumentException(layerId() + ": OdbbConvLayer expects " + c.getNIn() + " input channels "
                    + "(nIn) in NCHW input [minibatch, channels, height, width], got shape " + Arrays.toString(input.shape())
                    + ". Set nIn(" + input.size(1) + ") or check the layer before it (NHWC data must be permuted to NCHW).");
        }
        return input.dataType() == dataType ? input : input.castTo(dataType);
    }

    @Override
    public String toString() {
        return "OdbbConvLayerImpl(" + odbbConf() + ")";
    }
}
