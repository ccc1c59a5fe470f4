package org.repnas.layers;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** JSON and ModelSerializer round trips keep everything, and training continues identically after a restore. */
class SerializationTest {

    static OdbbConvLayer.Builder unusualBlock() {
        return OdbbConvLayer.builder().nOut(8).kernelSize(5).stride(1).groups(2).weightSharing(false)
                .branches(Branch.KXK, Branch.CONV_1X1_KXK, Branch.CONV_1X1_AVG, Branch.IDENTITY, Branch.CONV_KX1)
                .gateTemperature(0.5).gateMode(GateMode.RELAXED).alphaUpdater(new Adam(1e-3, 0.5, 0.999, 1e-8))
                .bnDecay(0.8).bnEps(1e-4).activation(Activation.LEAKYRELU);
    }

    static MultiLayerNetwork network() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9)).weightDecay(1e-4)
                .list()
                .layer(OdbbConvLayer.builder().nOut(8).stride(2).preset(BlockPreset.ALL).build())
                .layer(unusualBlock().build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(4).build())
                .setInputType(InputType.convolutional(12, 10, 3))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(long seed) {
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, seed, 6, 3, 12, 10);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 6, 4);
        for (int i = 0; i < 6; i++) y.putScalar(i, (int) ((i + seed) % 4), 1f);
        return new DataSet(x, y);
    }

    static void setNoise(MultiLayerNetwork net, double shift) {
        for (int i = 0; i < 2; i++) {
            OdbbConvLayerImpl impl = (OdbbConvLayerImpl) net.getLayer(i);
            Map<Branch, Double> zeta = new EnumMap<>(Branch.class);
            for (Branch b : impl.odbbConf().getPresentBranches()) zeta.put(b, shift + b.ordinal() * 0.3 - 1);
            impl.setGateNoise(zeta);
        }
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        MultiLayerNetwork net = network();
        OdbbConvLayer block = ((OdbbConvLayerImpl) net.getLayer(1)).odbbConf();
        block.setActiveBranches(EnumSet.of(Branch.CONV_1X1_KXK, Branch.IDENTITY));
        String json = net.getLayerWiseConfigurations().toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(net.getLayerWiseConfigurations(), back);
        OdbbConvLayer restored = (OdbbConvLayer) back.getConf(1).getLayer();
        assertEquals(block, restored);
        assertEquals(EnumSet.of(Branch.CONV_1X1_KXK, Branch.IDENTITY), restored.getActiveBranches());
        assertEquals(GateMode.RELAXED, restored.getGateMode());
        assertEquals(new Adam(1e-3, 0.5, 0.999, 1e-8), restored.getAlphaUpdater());
        assertEquals(2, restored.getGroups());
        assertEquals(json, back.toJson());
        // a changed field must show: equals is not vacuous
        restored.setGateTemperature(2.0);
        assertNotEquals(block, restored);
    }

    @Test
    void modelSerializerRoundTripAndContinuedTraining(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = network();
        ((OdbbConvLayerImpl) net.getLayer(0)).odbbConf().setActiveBranches(EnumSet.of(Branch.KXK, Branch.CONV_1X1_AVG, Branch.CONV_1XK));
        for (int i = 0; i < 3; i++) {
            setNoise(net, i);
            net.fit(batch(i));
        }
        File file = dir.resolve("odbb.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(file, true);

        assertEquals(net.getLayerWiseConfigurations(), back.getLayerWiseConfigurations());
        assertEquals(net.params(), back.params(), "weights, alpha and running statistics");
        assertEquals(net.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray(), "updater state");
        assertNotEquals(0.0, net.getUpdater().getStateViewArray().norm1Number().doubleValue());
        // alpha moved (its Adam state is part of the updater state above) and running statistics moved
        assertNotEquals(0.0, net.getLayer(1).getParam(OdbbParams.alpha(Branch.KXK)).getDouble(0));
        assertNotEquals(1.0, net.getLayer(1).getParam(OdbbParams.bn(Branch.KXK).var()).getDouble(0));
        DataSet probe = batch(9);
        assertEquals(net.output(probe.getFeatures(), false), back.output(probe.getFeatures(), false));

        for (int i = 3; i < 5; i++) {
            setNoise(net, i);
            setNoise(back, i);
            net.fit(batch(i));
            back.fit(batch(i));
        }
        assertEquals(net.params(), back.params(), "training after a restore goes on exactly as without it");
        assertEquals(net.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());
    }

    @Test
    void computationGraphRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).graphBuilder()
                .addInputs("in")
                .addLayer("odbb", unusualBlock().build(), "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "odbb")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(4).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(12, 10, 8)).build();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 1, 6, 8, 12, 10);
        INDArray y = batch(1).getLabels();
        net.fit(new DataSet(x, y));
        File file = dir.resolve("cg.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(net.params(), back.params());
        assertEquals(net.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());
        assertEquals(net.outputSingle(x), back.outputSingle(x));
        net.fit(new DataSet(x, y));
        back.fit(new DataSet(x, y));
        assertEquals(net.params(), back.params());
    }
}
