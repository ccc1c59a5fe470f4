package org.repnas.layers;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runtime reads its configuration at every pass, touches nothing outside its layer instance, and in DL4J's
 * training loops finds the forward pass it kept when backprop comes.
 */
class RuntimeStateTest {

    private static MultiLayerNetwork gatedNetwork() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2)).list()
                .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.ALL).alphaUpdater(new Adam(1e-2)).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build())
                .setInputType(InputType.convolutional(6, 7, 4)).build());
        net.init();
        OdbbConvLayerImpl block = (OdbbConvLayerImpl) net.getLayer(0);
        Map<Branch, Double> zeta = new EnumMap<>(Branch.class);
        Random r = new Random(8);
        for (Branch b : block.odbbConf().getPresentBranches()) zeta.put(b, r.nextGaussian());
        block.setGateNoise(zeta);
        return net;
    }

    private static DataSet batch(long seed, int n, long... imageShape) {
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, seed, n, imageShape[0], imageShape[1], imageShape[2]);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 3);
        for (int i = 0; i < n; i++) y.putScalar(i, (i + seed) % 3, 1.0);
        return new DataSet(x, y);
    }

    /**
     * Straight-through gates leave the output as it is, so a new temperature lambda changes alpha's gradient by exactly
     * [s'(1 - s') / lambda'] / [s(1 - s) / lambda], s = sigmoid((alpha + zeta) / lambda).
     */
    @Test
    void aNewGateTemperatureTakesEffectAtTheNextIteration() {
        MultiLayerNetwork net = gatedNetwork();
        OdbbConvLayerImpl block = (OdbbConvLayerImpl) net.getLayer(0);
        DataSet data = batch(1, 6, 4, 6, 7);
        net.fit(data);                                  // training has started
        net.fit(data);
        net.setInput(data.getFeatures());
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        Map<Branch, Double> before = alphaGradients(net, block);

        block.odbbConf().setGateTemperature(0.4);
        net.computeGradientAndScore();
        Map<Branch, Double> after = alphaGradients(net, block);

        for (Branch b : block.odbbConf().getPresentBranches()) {
            double r = block.alpha(b) + block.getGateNoise().get(b);
            double expected = slope(r, 0.4) / slope(r, 1.0);
            assertNotEquals(before.get(b), after.get(b), b + ": the new temperature was ignored");
            assertEquals(expected, after.get(b) / before.get(b), 1e-9 * expected, b.toString());
        }
    }

    private static double slope(double r, double lambda) {
        double s = 1 / (1 + Math.exp(-r / lambda));
        return s * (1 - s) / lambda;
    }

    private static Map<Branch, Double> alphaGradients(MultiLayerNetwork net, OdbbConvLayerImpl block) {
        Map<Branch, Double> g = new EnumMap<>(Branch.class);
        for (Branch b : block.odbbConf().getPresentBranches()) {
            g.put(b, net.gradient().getGradientFor("0_" + OdbbParams.alpha(b)).getDouble(0));
        }
        return g;
    }

    /** Another thread keeps printing while new networks train with changing branches: every line arrives. */
    @Test
    void noOutputOfAnotherThreadIsLost() throws InterruptedException {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        AtomicBoolean training = new AtomicBoolean(true);
        AtomicInteger printed = new AtomicInteger();
        AtomicInteger swapped = new AtomicInteger();
        System.setOut(capture);
        try {
            Thread printer = new Thread(() -> {
                while (training.get()) {
                    if (System.out != capture) swapped.incrementAndGet();
                    System.out.println("line " + printed.getAndIncrement());
                }
            });
            printer.start();
            for (int seed = 0; seed < 2; seed++) {
                MultiLayerNetwork net = gatedNetwork();
                OdbbConvLayer conf = ((OdbbConvLayerImpl) net.getLayer(0)).odbbConf();
                for (EnumSet<Branch> active : List.of(EnumSet.of(Branch.KXK), EnumSet.of(Branch.CONV_1X1_AVG, Branch.IDENTITY),
                        conf.getPresentBranches())) {
                    conf.setActiveBranches(active);
                    net.fit(batch(seed, 4, 4, 6, 7));
                }
            }
            training.set(false);
            printer.join();
        } finally {
            System.setOut(original);
        }
        long lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("line ")).count();
        assertTrue(printed.get() > 0);
        assertEquals(printed.get(), lines, "lines printed by another thread while the layer ran went missing");
        assertEquals(0, swapped.get(), "System.out was replaced while the layer ran");
    }

    /**
     * MultiLayerNetwork and ComputationGraph keep a layer's activations (here: with the intermediates the runtime keeps
     * in the same workspace) until its backward pass: backprop never has to run the forward pass again.
     */
    @Test
    void trainingLoopsKeepTheForwardPassForBackprop() {
        for (WorkspaceMode mode : WorkspaceMode.values()) {
            MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                    .trainingWorkspaceMode(mode).updater(new Adam(1e-3)).list()
                    .layer(OdbbConvLayer.builder().nOut(4).stride(2).preset(BlockPreset.ALL).build())
                    .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.ALL).build())
                    .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build())
                    .setInputType(InputType.convolutional(9, 8, 2)).build());
            mln.init();
            ComputationGraphConfiguration cgConf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                    .trainingWorkspaceMode(mode).updater(new Adam(1e-3)).graphBuilder().addInputs("in")
                    .addLayer("a", OdbbConvLayer.builder().nOut(4).stride(2).preset(BlockPreset.ALL).build(), "in")
                    .addLayer("b", OdbbConvLayer.builder().nOut(4).preset(BlockPreset.ALL).build(), "a")
                    .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "b")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build(), "pool")
                    .setOutputs("out").setInputTypes(InputType.convolutional(9, 8, 2)).build();
            ComputationGraph cg = new ComputationGraph(cgConf);
            cg.init();
            for (int i = 0; i < 3; i++) {
                DataSet d = batch(i, 5, 2, 9, 8);
                d.setFeatures(d.getFeatures().castTo(DataType.FLOAT));
                d.setLabels(d.getLabels().castTo(DataType.FLOAT));
                mln.fit(d);
                cg.fit(d);
            }
            for (OdbbConvLayerImpl l : List.of((OdbbConvLayerImpl) mln.getLayer(0), (OdbbConvLayerImpl) mln.getLayer(1),
                    (OdbbConvLayerImpl) cg.getLayer("a"), (OdbbConvLayerImpl) cg.getLayer("b"))) {
                assertEquals(0, l.repeatedForwardPasses(), mode + " " + l);
            }
        }
    }
}
