package org.repnas.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SessionMemMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.fusion.FusedConv;
import org.repnas.layers.fusion.OdbbFusion;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime of {@link OdbbConvLayer}. It keeps one SameDiff graph per (active branches, training, gated), built on
 * first use, so that switching branches between iterations costs a map look-up and inactive branches cost nothing.
 *
 * <p>Backpropagation differentiates {@code sum(output * epsilon)} with respect to the input and the parameters the
 * graph uses. (DL4J M2.1's stock SameDiff layer backprop, through its external-errors function, returned gradients
 * twice too large.)
 */
public class OdbbConvLayerImpl extends SameDiffLayer {

    private static final String EPSILON_KEY = "dLdOut";

    private record GraphKey(EnumSet<Branch> active, boolean training, boolean gated) {
    }

    private static final class BlockGraph {
        SameDiff sd;
        String output;
        Map<OdbbParams.BatchNorm, Long> trainingBns;
        List<String> usedParams;
    }

    private final Map<GraphKey, BlockGraph> graphs = new HashMap<>();
    /** While calibrating: per running-statistic parameter, the sum of batch statistics and the number of batches. */
    private Map<String, INDArray> calibrationSums;
    private int calibrationBatches;

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

    private boolean gated(boolean training) {
        return training && odbbConf().getGateNoise() != null;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        INDArray in = checkedInput();
        BlockGraph g = graph(training, gated(training));

        SessionMemMgr mmgr = new DL4JSameDiffMemoryMgr(workspaceMgr.getWorkspaceName(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS), workspaceMgr.getConfiguration(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATIONS));
        InferenceSession is = g.sd.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                id -> SameDiff.getInferenceFactory().create(g.sd));
        is.setMmgr(mmgr);

        List<String> wanted = new ArrayList<>();
        wanted.add(g.output);
        boolean calibrating = training && calibrationSums != null;
        if (calibrating) {
            for (OdbbParams.BatchNorm bn : g.trainingBns.keySet()) {
                wanted.add(OdbbGraph.batchMean(bn.mean()));
                wanted.add(OdbbGraph.batchVar(bn.var()));
            }
        }
        Map<String, INDArray> outs = g.sd.output(placeholders(in, g, null), wanted.toArray(new String[0]));
        if (calibrating) {
            for (Map.Entry<OdbbParams.BatchNorm, Long> bn : g.trainingBns.entrySet()) {
                OdbbParams.BatchNorm names = bn.getKey();
                accumulate(names.mean(), outs.get(OdbbGraph.batchMean(names.mean())), bn.getValue());
                accumulate(names.var(), outs.get(OdbbGraph.batchVar(names.var())), bn.getValue());
            }
            calibrationBatches++;
        }
        INDArray result = outs.get(g.output);
        boolean actScopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATIONS);
        if (!actScopedOut && (result.data().getParentWorkspace() == null || !result.data().getParentWorkspace().getId()
                .equals(workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS)))) {
            result = workspaceMgr.dup(ArrayType.ACTIVATIONS, result);
        } else if (actScopedOut && result.isAttached()) {
            result = result.detach();
        }
        g.sd.clearPlaceholders(true);
        g.sd.clearOpInputs();
        return result;
    }

    private void accumulate(String param, INDArray batchStat, long channels) {
        // the batch statistics live in DL4J's layer workspace; the sums must outlive it
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray v = batchStat.reshape(1, channels).castTo(dataType).dup();
            calibrationSums.merge(param, v, INDArray::addi);
        }
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray in = checkedInput();
        BlockGraph g = graph(true, gated(true));
        SameDiff gradFn;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (!g.sd.hasGradientFunction()) {
                createGradFunctionQuietly(g.sd);
            }
            gradFn = g.sd.getFunction("grad");
        }
        SessionMemMgr mmgr = new DL4JSameDiffMemoryMgr(workspaceMgr.getWorkspaceName(ArrayType.BP_WORKING_MEM),
                workspaceMgr.getWorkspaceName(ArrayType.ACTIVATION_GRAD), workspaceMgr.getConfiguration(ArrayType.BP_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATION_GRAD));
        gradFn.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                id -> SameDiff.getInferenceFactory().create(gradFn)).setMmgr(mmgr);

        List<String> statOutputs = new ArrayList<>();
        for (OdbbParams.BatchNorm bn : g.trainingBns.keySet()) {
            statOutputs.add(OdbbGraph.batchMean(bn.mean()));
            statOutputs.add(OdbbGraph.batchVar(bn.var()));
        }
        List<String> gradsFor = new ArrayList<>();
        gradsFor.add(INPUT_KEY);
        gradsFor.addAll(g.usedParams);
        if (epsilon.dataType() != dataType) {
            epsilon = epsilon.castTo(dataType);
        }
        OutAndGrad r = g.sd.calculateGradientsAndOutputs(placeholders(in, g, epsilon), statOutputs, gradsFor);

        gradients.assign(0);
        for (String p : g.usedParams) {
            INDArray grad = r.getGradients().get(p);
            if (grad != null) {
                gradTable.get(p).assign(grad);
            }
        }
        // Running statistics, as DL4J's BatchNormalization: the "gradient" is the step running - batch, scaled by
        // (1 - decay), which the NoOp updater applies unchanged: running <- decay * running + (1 - decay) * batch.
        double keep = 1.0 - odbbConf().getBnDecay();
        for (Map.Entry<OdbbParams.BatchNorm, Long> bn : g.trainingBns.entrySet()) {
            OdbbParams.BatchNorm names = bn.getKey();
            long c = bn.getValue();
            INDArray batchMean = r.getOutputs().get(OdbbGraph.batchMean(names.mean())).reshape(1, c);
            INDArray batchVar = r.getOutputs().get(OdbbGraph.batchVar(names.var())).reshape(1, c);
            gradTable.get(names.mean()).assign(paramTable.get(names.mean()).sub(batchMean).muli(keep));
            gradTable.get(names.var()).assign(paramTable.get(names.var()).sub(batchVar).muli(keep));
        }
        Gradient gradient = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            gradient.gradientForVariable().put(p, gradTable.get(p));
        }
        INDArray dLdIn = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, r.getGradients().get(INPUT_KEY));
        g.sd.clearPlaceholders(true);
        g.sd.clearOpInputs();
        return new Pair<>(gradient, dLdIn);
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return !OdbbParams.role(paramName).isRunningStatistic();
    }

    private Map<String, INDArray> placeholders(INDArray in, BlockGraph g, INDArray epsilon) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(INPUT_KEY, in);
        if (epsilon != null) {
            ph.put(EPSILON_KEY, epsilon);
        }
        for (Branch b : odbbConf().getActiveBranches()) {
            String name = OdbbGraph.zetaPlaceholder(b);
            if (g.sd.hasVariable(name)) {
                ph.put(name, Nd4j.scalar(dataType, odbbConf().getGateNoise().getOrDefault(b, 0.0)).reshape(1, 1));
            }
        }
        return ph;
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

    // ---------------------------------------------------------------------------------------------------------------
    // Graph cache

    private BlockGraph graph(boolean training, boolean gated) {
        GraphKey key = new GraphKey(odbbConf().getActiveBranches(), training, gated);
        BlockGraph g = graphs.get(key);
        if (g == null) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                g = build(key);
            }
            graphs.put(key, g);
        }
        return g;
    }

    private BlockGraph build(GraphKey key) {
        OdbbConvLayer c = odbbConf();
        SameDiff sd = SameDiff.create();
        // Parameters are views of DL4J's flattened parameter array: a single-thread holder keeps them as views.
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        SDVariable in = sd.placeHolder(INPUT_KEY, dataType, -1, c.getNIn(), -1, -1);
        Map<String, SDVariable> used = new LinkedHashMap<>();
        OdbbGraph.Outputs out = OdbbGraph.define(c, sd, in, name -> used.computeIfAbsent(name, n -> {
            INDArray arr = paramTable.get(n);
            if (arr == null) {
                throw new IllegalStateException(layerId() + ": parameter " + n + " missing; present: " + paramTable.keySet());
            }
            SDVariable v = sd.var(n, dataType, arr.shape());
            sd.associateArrayWithVariable(arr, v);
            return v;
        }), key.active(), key.training(), key.gated());
        BlockGraph g = new BlockGraph();
        g.sd = sd;
        g.output = out.output().name();
        g.trainingBns = out.trainingBns();
        g.usedParams = new ArrayList<>(used.keySet());
        if (key.training()) {
            SDVariable eps = sd.placeHolder(EPSILON_KEY, dataType, -1, c.getNOut(), -1, -1);
            SDVariable objective = out.output().mul(eps).sum();
            sd.setLossVariables(objective);
        }
        return g;
    }

    /** M2.1's createGradFunction prints one line per differentiated op to stdout; keep the user's console clean. */
    private static synchronized void createGradFunctionQuietly(SameDiff sd) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction(INPUT_KEY);
        } finally {
            System.setOut(original);
        }
    }

    @Override
    public String toString() {
        return "OdbbConvLayerImpl(" + odbbConf() + ")";
    }
}
