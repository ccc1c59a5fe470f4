package org.repnas.layers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of one optimal diverse branch block (ODBB, RepNAS paper Fig. 3): a KxK convolution block whose output
 * is the sum of any subset of seven branches ({@link Branch}), each ending in its own BatchNorm, followed by an
 * activation (ReLU by default). Use it wherever a DL4J network has a convolution + BatchNorm + activation:
 *
 * <pre>{@code
 * .layer(OdbbConvLayer.builder().nOut(64).kernelSize(3).stride(1).preset(BlockPreset.DBB).build())
 * }</pre>
 *
 * <p>Weight sharing (on by default, paper Eq. 5): every branch convolution uses the centre crop of the block's main
 * KxK kernel; the 1x1 in front of the KxK of the 1x1-KxK branch has its own identity-initialised weight.
 *
 * <p>Gates: each branch has an architecture parameter alpha ({@code alpha<branch key>}, e.g. {@code alpha1x1Kxk}), trained by its own updater
 * ({@link #getAlphaUpdater()}, Adam lr 1e-4, betas 0.5/0.999 by default) without regularization. The set of
 * {@link #getActiveBranches() active branches} can be changed between iterations; inactive branches cost no compute.
 * During a search the implementation multiplies each active branch by a straight-through logistic gate
 * ({@link OdbbConvLayerImpl#setGateNoise}).
 *
 * <p>BatchNorm running statistics are parameters with a NoOp updater, updated like DL4J's own BatchNormalization
 * (their "gradient" is the step towards the batch statistics). They store the variance itself.
 */
public class OdbbConvLayer extends SameDiffLayer {

    // Every default is written here once; the builder starts from a layer with these values.
    private int kernelSize = 3;
    private int stride = 1;
    private long nIn;
    private long nOut;
    private int groups = 1;
    private BlockPreset preset;
    private EnumSet<Branch> branches;
    /** null: all present branches. JSON keeps the field itself, not the resolved set. */
    @JsonProperty("activeBranches")
    private EnumSet<Branch> activeBranches;
    private boolean weightSharing = true;
    /**
     * Search state, set between iterations by a search's listener and saved with the configuration, so that it travels
     * wherever the network does (checkpoints, ParallelWrapper replicas, Spark executors): the logistic noise zeta of each
     * active branch's gate for the coming iteration (null: no gates), and whether the search has fixed the architecture.
     */
    @JsonProperty("gateNoise")
    private EnumMap<Branch, Double> gateNoise;
    private boolean architectureFixed;
    private double gateTemperature = 1.0;
    private GateMode gateMode = GateMode.STRAIGHT_THROUGH;
    private IUpdater alphaUpdater = defaultAlphaUpdater();
    /** Regularization of alpha (none by default; the official recipe decays it during the search). */
    private List<Regularization> alphaRegularization = new ArrayList<>();
    private double bnEps = 1e-5;
    private double bnDecay = 0.9;
    private IActivation activation = Activation.RELU.getActivationFunction();
    private IWeightInit kernelInit;

    /** For JSON. */
    protected OdbbConvLayer() {
    }

    protected OdbbConvLayer(Builder b) {
        super(b);
        OdbbConvLayer s = b.settings;
        this.kernelSize = s.kernelSize;
        this.stride = s.stride;
        this.nIn = s.nIn;
        this.nOut = s.nOut;
        this.groups = s.groups;
        this.preset = s.preset;
        this.branches = s.branches == null ? null : EnumSet.copyOf(s.branches);
        this.weightSharing = s.weightSharing;
        this.gateTemperature = s.gateTemperature;
        this.gateMode = s.gateMode;
        this.alphaUpdater = s.alphaUpdater;
        this.alphaRegularization = new ArrayList<>(s.alphaRegularization);
        this.bnEps = s.bnEps;
        this.bnDecay = s.bnDecay;
        this.activation = s.activation;
        this.kernelInit = s.kernelInit;
        validateShapeIndependent();
        if (nIn > 0) {
            validate();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The paper's optimizer for the architecture parameters: Adam, lr 1e-4, betas 0.5 / 0.999 ({@link AlphaAdam}). */
    public static IUpdater defaultAlphaUpdater() {
        return AlphaAdam.paper();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Branches

    /** The branches this block has parameters for (the preset resolved against nIn, nOut and stride). */
    @JsonIgnore
    public EnumSet<Branch> getPresentBranches() {
        if (preset != null) {
            return preset.branchesFor(nIn, nOut, stride);
        }
        return branches == null ? EnumSet.noneOf(Branch.class) : EnumSet.copyOf(branches);
    }

    /** The branches that run now: all present branches unless {@link #setActiveBranches} narrowed them. */
    @JsonIgnore
    public EnumSet<Branch> getActiveBranches() {
        return activeBranches == null ? getPresentBranches() : EnumSet.copyOf(activeBranches);
    }

    /**
     * Switches branches on or off at run time (between iterations). Every active branch must be present and at least
     * one must stay active. {@code null} means all present branches.
     */
    @JsonIgnore
    public void setActiveBranches(Set<Branch> active) {
        if (active == null) {
            this.activeBranches = null;
            return;
        }
        EnumSet<Branch> a = active.isEmpty() ? EnumSet.noneOf(Branch.class) : EnumSet.copyOf(active);
        if (nIn > 0) {
            checkActive(a);
        }
        this.activeBranches = a;
    }

    /** True when a block of this shape can have the identity branch (nIn == nOut and stride 1). */
    public boolean identityPossible() {
        return nIn == nOut && stride == 1;
    }

    /**
     * Sets the logistic noise zeta of each active branch for the coming training iterations: training then multiplies
     * every active branch by a gate (straight-through: value 1, gradient of sigmoid((alpha + zeta) / lambda) to alpha).
     * {@code null} removes the gates (alpha then gets no gradient).
     */
    @JsonIgnore
    public void setGateNoise(Map<Branch, Double> zeta) {
        this.gateNoise = zeta == null ? null : zeta.isEmpty() ? new EnumMap<>(Branch.class) : new EnumMap<>(zeta);
    }

    /** The gates' noise per active branch, or null when training runs without gates. */
    @JsonIgnore
    public Map<Branch, Double> getGateNoise() {
        return gateNoise == null ? null : Collections.unmodifiableMap(gateNoise);
    }

    /** Set by a search when it fixes the architecture: its listener leaves the active branches alone from then on. */
    public boolean isArchitectureFixed() { return architectureFixed; }
    public void setArchitectureFixed(boolean fixed) { this.architectureFixed = fixed; }

    // ---------------------------------------------------------------------------------------------------------------
    // Validation: every message says what to change.

    private void validateShapeIndependent() {
        if (kernelSize < 1 || kernelSize % 2 == 0) {
            throw new IllegalArgumentException(describe() + ": kernelSize must be odd (3, 5, 7, ...) so that every "
                    + "branch kernel is a centred crop of the main kernel; got " + kernelSize + ". Use kernelSize(3) or kernelSize(5).");
        }
        if (stride < 1) {
            throw new IllegalArgumentException(describe() + ": stride must be 1 or more, got " + stride);
        }
        if (groups < 1) {
            throw new IllegalArgumentException(describe() + ": groups must be 1 or more, got " + groups);
        }
        if (nOut <= 0) {
            throw new IllegalArgumentException(describe() + ": nOut (output channels) must be set and positive, got " + nOut);
        }
        if (preset == null && (branches == null || branches.isEmpty())) {
            throw new IllegalArgumentException(describe() + ": a block needs at least one branch. Set a preset, e.g. "
                    + "preset(BlockPreset.REPVGG), or branches(Branch.KXK, ...).");
        }
        if (preset != null && branches != null) {
            throw new IllegalArgumentException(describe() + ": set either preset(...) or branches(...), not both.");
        }
        if (gateMode == null) {
            throw new IllegalArgumentException(describe() + ": gateMode must be set (GateMode.STRAIGHT_THROUGH by default)");
        }
        if (!(gateTemperature > 0)) {
            throw new IllegalArgumentException(describe() + ": gateTemperature (lambda) must be positive, got " + gateTemperature);
        }
        if (!(bnDecay >= 0 && bnDecay < 1) || !(bnEps > 0)) {
            throw new IllegalArgumentException(describe() + ": bnDecay must be in [0, 1) and bnEps positive, got decay "
                    + bnDecay + ", eps " + bnEps);
        }
    }

    /** Checks everything that depends on nIn; called once nIn is known. */
    public void validate() {
        validateShapeIndependent();
        if (nIn <= 0) {
            throw new IllegalStateException(describe() + ": nIn is not known: set nIn(...) or the network's input type "
                    + "(e.g. .setInputType(InputType.convolutional(h, w, channels))).");
        }
        if (nIn % groups != 0 || nOut % groups != 0) {
            throw new IllegalArgumentException(describe() + ": nIn (" + nIn + ") and nOut (" + nOut
                    + ") must both be divisible by groups (" + groups + ").");
        }
        if (branches != null && branches.contains(Branch.IDENTITY) && !identityPossible()) {
            throw new IllegalArgumentException(describe() + ": the identity branch needs nIn == nOut and stride 1, got nIn="
                    + nIn + ", nOut=" + nOut + ", stride=" + stride + ". Remove Branch.IDENTITY, or use a preset "
                    + "(presets add identity only where it can exist).");
        }
        if (getPresentBranches().isEmpty()) {
            throw new IllegalArgumentException(describe() + ": no branch is left for this block.");
        }
        if (activeBranches != null) {
            checkActive(activeBranches);
        }
    }

    private void checkActive(EnumSet<Branch> active) {
        if (active.isEmpty()) {
            throw new IllegalArgumentException(describe() + ": at least one branch must stay active (present: "
                    + getPresentBranches() + ").");
        }
        EnumSet<Branch> missing = EnumSet.copyOf(active);
        missing.removeAll(getPresentBranches());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(describe() + ": cannot activate " + missing
                    + ": the block has no such branch (present: " + getPresentBranches() + ").");
        }
    }

    private String describe() {
        return "OdbbConvLayer" + (layerName == null ? "" : " '" + layerName + "'");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Parameters

    /** Spatial size (kH, kW) of a branch's own convolution kernel. */
    public static int[] branchKernelSize(Branch b, int k) {
        return switch (b) {
            case KXK, CONV_1X1_KXK -> new int[]{k, k};
            case CONV_1X1, CONV_1X1_AVG -> new int[]{1, 1};
            case CONV_1XK -> new int[]{1, k};
            case CONV_KX1 -> new int[]{k, 1};
            case IDENTITY -> null;
        };
    }

    /** Channels of the inner BatchNorm of the 1x1-KxK (nIn) and 1x1-AVG (nOut) branches. */
    long innerBnChannels(Branch b) {
        return b == Branch.CONV_1X1_KXK ? nIn : nOut;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        EnumSet<Branch> present = getPresentBranches();
        long inPerGroup = nIn / groups;
        boolean needsMain = weightSharing ? present.stream().anyMatch(b -> b != Branch.IDENTITY) : present.contains(Branch.KXK);
        if (needsMain) {
            params.addWeightParam(OdbbParams.MAIN_KERNEL, kernelSize, kernelSize, inPerGroup, nOut);
        }
        for (Branch b : present) {
            if (!weightSharing && b != Branch.KXK && b != Branch.IDENTITY) {
                int[] hw = branchKernelSize(b, kernelSize);
                params.addWeightParam(OdbbParams.branchKernel(b), hw[0], hw[1], inPerGroup, nOut);
            }
            if (b == Branch.CONV_1X1_KXK) {
                params.addWeightParam(OdbbParams.PRE_KXK_KERNEL, 1, 1, inPerGroup, nIn);
            }
        }
        for (Branch b : present) {
            addBatchNorm(params, OdbbParams.bn(b), nOut);
            if (OdbbParams.hasInnerBn(b)) {
                addBatchNorm(params, OdbbParams.innerBn(b), innerBnChannels(b));
            }
            params.addBiasParam(OdbbParams.alpha(b), 1, 1);
        }
    }

    private static void addBatchNorm(SDLayerParams params, OdbbParams.BatchNorm bn, long channels) {
        for (String p : new String[]{bn.gamma(), bn.beta(), bn.mean(), bn.var()}) {
            params.addBiasParam(p, 1, channels);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue();
            switch (OdbbParams.role(name)) {
                case KERNEL -> {
                    if (name.equals(OdbbParams.PRE_KXK_KERNEL)) {
                        // Identity: the 1x1-KxK branch starts as the plain KxK branch.
                        p.assign(0);
                        long inPerGroup = nIn / groups;
                        for (long o = 0; o < nIn; o++) {
                            p.putScalar(new long[]{0, 0, o % inPerGroup, o}, 1.0);
                        }
                    } else {
                        long receptive = p.size(0) * p.size(1);
                        IWeightInit init = kernelInit == null ? WeightInit.XAVIER.getWeightInitFunction() : kernelInit;
                        init.init(p.size(2) * receptive, (nOut / groups) * receptive, p.shape(), 'c', p);
                    }
                }
                case GAMMA, RUNNING_VAR -> p.assign(1.0);
                case BETA, RUNNING_MEAN, ALPHA -> p.assign(0.0);
            }
        }
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return switch (OdbbParams.role(paramName)) {
            case ALPHA -> alphaUpdater;
            case RUNNING_MEAN, RUNNING_VAR -> new NoOp();     // updated by their own step, like DL4J's BatchNormalization
            default -> getUpdater();
        };
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        // The layer's weight decay / L2 on convolution kernels only: never on BatchNorm or running statistics; alpha
        // has its own.
        return switch (OdbbParams.role(paramName)) {
            case KERNEL -> getRegularization();
            case ALPHA -> alphaRegularization;
            default -> Collections.emptyList();
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Shapes and network integration

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional in = requireConvolutional(inputType, layerIndex);
        return InputType.convolutional(outputSize(in.getHeight()), outputSize(in.getWidth()), nOut, CNN2DFormat.NCHW);
    }

    /** Output height (or width) for an input of size {@code in}: (in + 2*(K/2) - K) / stride + 1. */
    public long outputSize(long in) {
        return (in + 2L * (kernelSize / 2) - kernelSize) / stride + 1;
    }

    private InputType.InputTypeConvolutional requireConvolutional(InputType inputType, int layerIndex) {
        if (inputType instanceof InputType.InputTypeConvolutionalFlat f) {
            return (InputType.InputTypeConvolutional) InputType.convolutional(f.getHeight(), f.getWidth(), f.getDepth());
        }
        if (!(inputType instanceof InputType.InputTypeConvolutional c)) {
            throw new IllegalArgumentException(describe() + " (layer " + layerIndex + ") needs convolutional input "
                    + "[minibatch, channels, height, width], got input type " + inputType
                    + ". Set the network's input type with InputType.convolutional(...) or convolutionalFlat(...).");
        }
        if (c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(describe() + " supports NCHW activations only, got " + c.getFormat()
                    + ". Use CNN2DFormat.NCHW for the layers before it.");
        }
        return c;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeConvolutional in = requireConvolutional(inputType, -1);
        if (nIn <= 0 || override) {
            nIn = in.getChannels();
        }
        validate();
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return InputTypeUtil.getPreProcessorForInputTypeCnnLayers(inputType, getLayerName());
    }

    @Override
    public void applyGlobalConfigToLayer(NeuralNetConfiguration.Builder globalConfig) {
        if (kernelInit == null) {
            kernelInit = globalConfig.getWeightInitFn();
        }
    }

    @Override
    public SDVariable defineLayer(SameDiff sameDiff, SDVariable layerInput, Map<String, SDVariable> paramTable, SDVariable mask) {
        // Only used if someone runs this configuration through DL4J's stock SameDiff layer: inference with the active branches.
        return OdbbGraph.define(this, sameDiff, layerInput, paramTable::get, getActiveBranches(), false, false).output();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        validate();
        if (gradientNormalization != null && gradientNormalization != GradientNormalization.None) {
            // DL4J normalizes a layer's whole gradient view, which would also rescale the running-statistics steps.
            throw new IllegalArgumentException(describe() + ": gradient normalization " + gradientNormalization
                    + " would corrupt the BatchNorm running statistics this layer keeps in its gradient. Set "
                    + ".gradientNormalization(GradientNormalization.None) on this layer, or clip elsewhere.");
        }
        OdbbConvLayerImpl ret = new OdbbConvLayerImpl(conf, networkDataType);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        ret.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        ret.setConf(conf);
        ret.setListeners(trainingListeners);
        return ret;
    }

    @Override
    public OdbbConvLayer clone() {
        OdbbConvLayer c = (OdbbConvLayer) super.clone();
        c.branches = branches == null ? null : EnumSet.copyOf(branches);
        c.activeBranches = activeBranches == null ? null : EnumSet.copyOf(activeBranches);
        c.alphaRegularization = new ArrayList<>(alphaRegularization);
        c.gateNoise = gateNoise == null ? null : new EnumMap<>(gateNoise);
        return c;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Getters and setters (JSON)

    public int getKernelSize() { return kernelSize; }
    public void setKernelSize(int kernelSize) { this.kernelSize = kernelSize; }
    public int getStride() { return stride; }
    public void setStride(int stride) { this.stride = stride; }
    public long getNIn() { return nIn; }
    public void setNIn(long nIn) { this.nIn = nIn; }
    public long getNOut() { return nOut; }
    public void setNOut(long nOut) { this.nOut = nOut; }
    public int getGroups() { return groups; }
    public void setGroups(int groups) { this.groups = groups; }
    public BlockPreset getPreset() { return preset; }
    public void setPreset(BlockPreset preset) { this.preset = preset; }
    /** The explicitly requested branches (null when a preset is used); see {@link #getPresentBranches()}. */
    public EnumSet<Branch> getBranches() { return branches == null ? null : EnumSet.copyOf(branches); }
    public void setBranches(Set<Branch> branches) {
        this.branches = branches == null ? null : branches.isEmpty() ? EnumSet.noneOf(Branch.class) : EnumSet.copyOf(branches);
    }
    public boolean isWeightSharing() { return weightSharing; }
    public void setWeightSharing(boolean weightSharing) { this.weightSharing = weightSharing; }
    public double getGateTemperature() { return gateTemperature; }
    public void setGateTemperature(double gateTemperature) { this.gateTemperature = gateTemperature; }
    public GateMode getGateMode() { return gateMode; }
    public void setGateMode(GateMode gateMode) { this.gateMode = gateMode; }
    public IUpdater getAlphaUpdater() { return alphaUpdater; }
    public void setAlphaUpdater(IUpdater alphaUpdater) { this.alphaUpdater = alphaUpdater; }
    public List<Regularization> getAlphaRegularization() { return alphaRegularization; }
    public void setAlphaRegularization(List<Regularization> r) { this.alphaRegularization = r == null ? new ArrayList<>() : new ArrayList<>(r); }
    public double getBnEps() { return bnEps; }
    public void setBnEps(double bnEps) { this.bnEps = bnEps; }
    public double getBnDecay() { return bnDecay; }
    public void setBnDecay(double bnDecay) { this.bnDecay = bnDecay; }
    public IActivation getActivation() { return activation; }
    public void setActivation(IActivation activation) { this.activation = activation; }
    public IWeightInit getKernelInit() { return kernelInit; }
    public void setKernelInit(IWeightInit kernelInit) { this.kernelInit = kernelInit; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof OdbbConvLayer that) || !super.equals(o)) return false;
        return kernelSize == that.kernelSize && stride == that.stride && nIn == that.nIn && nOut == that.nOut
                && groups == that.groups && weightSharing == that.weightSharing
                && Double.compare(gateTemperature, that.gateTemperature) == 0 && Double.compare(bnEps, that.bnEps) == 0
                && Double.compare(bnDecay, that.bnDecay) == 0 && preset == that.preset && gateMode == that.gateMode
                && Objects.equals(branches, that.branches) && Objects.equals(activeBranches, that.activeBranches)
                && Objects.equals(alphaUpdater, that.alphaUpdater) && Objects.equals(alphaRegularization, that.alphaRegularization)
                && Objects.equals(gateNoise, that.gateNoise) && architectureFixed == that.architectureFixed
                && Objects.equals(activation, that.activation)
                && Objects.equals(kernelInit, that.kernelInit);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kernelSize, stride, nIn, nOut, groups, preset, branches, activeBranches,
                weightSharing, gateTemperature, gateMode, alphaUpdater, alphaRegularization, gateNoise, architectureFixed, bnEps, bnDecay, activation, kernelInit);
    }

    @Override
    public String toString() {
        return describe() + "(K=" + kernelSize + ", stride=" + stride + ", nIn=" + nIn + ", nOut=" + nOut
                + (groups > 1 ? ", groups=" + groups : "") + ", branches=" + (preset != null ? preset : branches)
                + (activeBranches != null ? ", active=" + activeBranches : "") + ")";
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Builder for {@link OdbbConvLayer}; its defaults are the layer's field initialisers. */
    public static class Builder extends SameDiffLayer.Builder<Builder> {
        /** The values being set, starting from the layer's defaults. */
        private final OdbbConvLayer settings = new OdbbConvLayer();

        /** Main kernel size K: odd (3, 5, 7). Default 3. */
        public Builder kernelSize(int k) { settings.kernelSize = k; return this; }
        /** Stride of every branch: 1 or 2. Default 1. */
        public Builder stride(int s) { settings.stride = s; return this; }
        /** Input channels; usually inferred from the network's input type. */
        public Builder nIn(long nIn) { settings.nIn = nIn; return this; }
        /** Output channels. */
        public Builder nOut(long nOut) { settings.nOut = nOut; return this; }
        /** Grouped convolution (RepVGG's g2/g4 variants): nIn and nOut divisible by groups. Default 1. */
        public Builder groups(int g) { settings.groups = g; return this; }
        /** A hand-designed block; identity is added only where nIn == nOut and stride 1. */
        public Builder preset(BlockPreset p) { settings.preset = p; return this; }
        /** An explicit set of branches; identity here must be possible. */
        public Builder branches(Branch... bs) {
            settings.branches = bs.length == 0 ? EnumSet.noneOf(Branch.class) : EnumSet.of(bs[0], bs);
            return this;
        }
        public Builder branches(Set<Branch> bs) { settings.setBranches(bs); return this; }
        /** false: each branch gets its own kernel instead of a crop of the main one (the paper's ablation). Default true. */
        public Builder weightSharing(boolean ws) { settings.weightSharing = ws; return this; }
        /** Temperature lambda of the logistic gates. Default 1. */
        public Builder gateTemperature(double lambda) { settings.gateTemperature = lambda; return this; }
        /** Straight-through gates (default, the paper's) or the relaxed sigmoid gates. */
        public Builder gateMode(GateMode m) { settings.gateMode = m; return this; }
        /** Updater of the architecture parameters alpha (default {@link #defaultAlphaUpdater()}). */
        public Builder alphaUpdater(IUpdater u) { settings.alphaUpdater = u; return this; }
        /** Regularization of alpha, e.g. DL4J's L2Regularization (default none). */
        public Builder alphaRegularization(Regularization... r) { settings.setAlphaRegularization(List.of(r)); return this; }
        /** BatchNorm epsilon. Default 1e-5. */
        public Builder bnEps(double eps) { settings.bnEps = eps; return this; }
        /** Running-statistics decay, as DL4J's BatchNormalization. Default 0.9. */
        public Builder bnDecay(double d) { settings.bnDecay = d; return this; }
        /** Activation after the sum of branches (default ReLU; the network's global activation is not used). */
        public Builder activation(Activation a) { settings.activation = a.getActivationFunction(); return this; }
        public Builder activation(IActivation a) { settings.activation = a; return this; }
        /** Initialisation of the convolution kernels (default: the network's weightInit). */
        @Override
        public Builder weightInit(WeightInit w) { super.weightInit(w); settings.kernelInit = w.getWeightInitFunction(); return this; }
        public Builder weightInit(IWeightInit w) { settings.kernelInit = w; return this; }

        @Override
        @SuppressWarnings("unchecked")
        public OdbbConvLayer build() {
            return new OdbbConvLayer(this);
        }
    }
}
