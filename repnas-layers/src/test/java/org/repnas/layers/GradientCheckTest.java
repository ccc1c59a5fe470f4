package org.repnas.layers;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's GradientCheckUtil (double precision, central differences) on two stacked blocks, so that the second block's
 * input gradient is checked through the first block's parameters.
 */
class GradientCheckTest {
    private static DataType previous;

    @BeforeAll
    static void doublePrecision() {
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(previous, previous);
    }

    /** Two ALL blocks; gate temperatures 0.6 and 1.7, so that alpha's checks cover a temperature other than 1. */
    private static MultiLayerNetwork twoBlocks(GateMode gateMode, int groups) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(42).updater(new NoOp())
                .list()
                .layer(OdbbConvLayer.builder().kernelSize(3).stride(2).nOut(4).groups(groups).preset(BlockPreset.ALL)
                        .activation(Activation.TANH).alphaUpdater(new NoOp()).gateMode(gateMode).gateTemperature(0.6).build())
                .layer(OdbbConvLayer.builder().kernelSize(3).stride(1).nOut(4).groups(groups).preset(BlockPreset.ALL)
                        .activation(Activation.TANH).alphaUpdater(new NoOp()).gateMode(gateMode).gateTemperature(1.7).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build())
                .setInputType(InputType.convolutional(7, 6, 2))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (int i = 0; i < 2; i++) {
            TestNetworks.randomize(net.getLayer(i).paramTable(), 100 + i);
        }
        return net;
    }

    private static boolean check(MultiLayerNetwork net) {
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 5, 3, 2, 7, 6);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        for (int i = 0; i < 3; i++) y.putScalar(i, i % 3, 1.0);
        // Running statistics are updated by their step, not by a gradient: not checkable.
        // Tolerances are DL4J's defaults. A doubled gradient has relative error 1/3. Absolute errors below 1e-8 are
        // ignored: the inner BatchNorm of 1x1-AVG is followed (through depthwise pooling) by a training-mode BatchNorm
        // that cancels its gamma up to BN's eps, so its true gradient is ~1e-6 and both estimates carry ~5e-10 of
        // cancellation error (measured: the same 5e-10 whatever the finite-difference step or BN eps).
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8).excludeParams(runningStatistics(net)));
    }

    private static Set<String> runningStatistics(MultiLayerNetwork net) {
        Set<String> runningStats = new HashSet<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl) {
                for (String p : net.getLayer(i).paramTable().keySet()) {
                    if (OdbbParams.role(p).isRunningStatistic()) runningStats.add(i + "_" + p);     // network keys: layer_param
                }
            }
        }
        return runningStats;
    }

    @ParameterizedTest
    @EnumSource(Branch.class)
    void eachBranchAlone(Branch branch) {
        MultiLayerNetwork net = twoBlocks(GateMode.STRAIGHT_THROUGH, 1);
        for (int i = 0; i < 2; i++) {
            OdbbConvLayer c = ((OdbbConvLayerImpl) net.getLayer(i)).odbbConf();
            c.setActiveBranches(EnumSet.of(c.getPresentBranches().contains(branch) ? branch : Branch.KXK));
        }
        assertTrue(check(net), "gradient check failed for branch " + branch);
    }

    @Test
    void allBranchesGroupedConvolution() {
        assertTrue(check(twoBlocks(GateMode.STRAIGHT_THROUGH, 2)));
    }

    @Test
    void alphaThroughRelaxedGates() {
        MultiLayerNetwork net = twoBlocks(GateMode.RELAXED, 1);
        setNoise(net);
        assertTrue(check(net), "gradient check failed for alpha (relaxed gates)");
        // The check above must have covered alpha: it has a non-zero gradient.
        net.computeGradientAndScore();
        double alphaGrad = net.gradient().getGradientFor("1_" + OdbbParams.alpha(Branch.CONV_1X1_AVG)).getDouble(0);
        assertTrue(Math.abs(alphaGrad) > 1e-8, "alpha gradient " + alphaGrad);
    }

    /**
     * The straight-through gate leaves the output unchanged (value exactly 1) and gives alpha the gradient
     * dL/dgate * sigmoid'(R / lambda) / lambda; since the gate scales the branch BatchNorm's gamma and beta,
     * dL/dgate = sum_c gamma_c dL/dgamma_c + beta_c dL/dbeta_c, whose terms the gradient check verifies.
     */
    @Test
    void straightThroughGateValueAndAlphaGradient() {
        MultiLayerNetwork net = twoBlocks(GateMode.STRAIGHT_THROUGH, 1);
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 5, 3, 2, 7, 6);
        INDArray ungated = net.output(x, true);
        setNoise(net);
        assertEquals(ungated, net.output(x, true), "a straight-through gate must not change the output");

        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        for (int i = 0; i < 3; i++) y.putScalar(i, (i + 1) % 3, 1.0);
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        for (int layer = 0; layer < 2; layer++) {
            OdbbConvLayerImpl impl = (OdbbConvLayerImpl) net.getLayer(layer);
            double lambda = impl.odbbConf().getGateTemperature();
            for (Branch b : impl.odbbConf().getPresentBranches()) {
                OdbbParams.BatchNorm bn = OdbbParams.bn(b);
                double dGate = impl.getParam(bn.gamma()).mul(grad(net, layer, bn.gamma())).sumNumber().doubleValue()
                        + impl.getParam(bn.beta()).mul(grad(net, layer, bn.beta())).sumNumber().doubleValue();
                double r = impl.alpha(b) + impl.getGateNoise().get(b);
                double sig = 1 / (1 + Math.exp(-r / lambda));
                double expected = dGate * sig * (1 - sig) / lambda;
                double actual = grad(net, layer, OdbbParams.alpha(b)).getDouble(0);
                assertEquals(expected, actual, 1e-10 * Math.max(1, Math.abs(expected)), "layer " + layer + " " + b);
            }
        }
    }

    /** CnnLossLayer hands the block its epsilon as a permuted view (NHWC memory seen as NCHW); relaxed gates so that alpha is checked too. */
    @Test
    void permutedEpsilonFromACnnLossLayer() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(5).updater(new NoOp()).list()
                .layer(OdbbConvLayer.builder().nOut(3).branches(Branch.KXK, Branch.CONV_1X1, Branch.IDENTITY)
                        .activation(Activation.IDENTITY).alphaUpdater(new NoOp()).gateMode(GateMode.RELAXED).build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(5, 4, 3)).build());
        net.init();
        TestNetworks.randomize(net.getLayer(0).paramTable(), 9);
        setNoise(net, 1);
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 6, 4, 3, 5, 4);
        INDArray y = TestNetworks.randomInput(DataType.DOUBLE, 7, 4, 3, 5, 4);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8).excludeParams(runningStatistics(net))));
    }

    /** Control: the same check on DL4J's stock SameDiff layer path fails, because M2.1 doubles its gradients. */
    @Test
    void checkCatchesTheStockSameDiffLayerDoubledGradient() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(3).updater(new NoOp())
                .list()
                .layer(new StockSameDiffDenseLayer(4, 5))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nIn(5).nOut(3).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 9, 6, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 6, 3);
        for (int i = 0; i < 6; i++) y.putScalar(i, i % 3, 1.0);
        boolean passed = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8));
        assertFalse(passed, "DL4J's stock SameDiff layer passed: its backprop bug seems fixed in this DL4J version");
    }

    private static INDArray grad(MultiLayerNetwork net, int layer, String param) {
        return net.gradient().getGradientFor(layer + "_" + param);
    }

    private static void setNoise(MultiLayerNetwork net) {
        setNoise(net, 2);
    }

    private static void setNoise(MultiLayerNetwork net, int blocks) {
        java.util.Random r = new java.util.Random(77);
        for (int i = 0; i < blocks; i++) {
            OdbbConvLayerImpl impl = (OdbbConvLayerImpl) net.getLayer(i);
            Map<Branch, Double> zeta = new EnumMap<>(Branch.class);
            for (Branch b : impl.odbbConf().getPresentBranches()) {
                double u = r.nextDouble();
                zeta.put(b, Math.log(u / (1 - u)));
            }
            impl.setGateNoise(zeta);
        }
    }
}
