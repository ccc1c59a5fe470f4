package org.repnas.layers;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.repnas.data.FashionMnist;
import org.repnas.data.ShuffledDataSetIterator;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Networks with ODBBs train on real Fashion-MNIST batches (Debian's dataset-fashion-mnist). */
class TrainingTest {
    static DataSet train;
    static DataSet heldOut;

    @BeforeAll
    static void data() throws IOException {
        train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TRAIN, 2048);
        heldOut = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST, 512);
    }

    static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(12).dataType(DataType.FLOAT).updater(new Adam(5e-3));
    }

    @Test
    void multiLayerNetworkLossFalls() {
        MultiLayerConfiguration conf = base().list()
                .layer(OdbbConvLayer.builder().nOut(16).stride(2).preset(BlockPreset.DBB).build())
                .layer(OdbbConvLayer.builder().nOut(16).stride(1).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(32).stride(2).preset(BlockPreset.ACB).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnist.CLASSES).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        assertLossFalls(net);
    }

    @Test
    void computationGraphLossFalls() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("image")
                .addLayer("stem", OdbbConvLayer.builder().nOut(16).stride(2).preset(BlockPreset.REPVGG).build(), "image")
                .addLayer("a", OdbbConvLayer.builder().nOut(16).preset(BlockPreset.ALL).build(), "stem")
                .addLayer("b", OdbbConvLayer.builder().nOut(16).kernelSize(5).preset(BlockPreset.DBB).build(), "stem")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "sum")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnist.CLASSES).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(28, 28, 1))
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        assertLossFalls(net);
    }

    private static void assertLossFalls(Model net) {
        double before = score(net);
        ShuffledDataSetIterator it = new ShuffledDataSetIterator(train, 64, 1, true);
        for (int epoch = 0; epoch < 2; epoch++) {
            if (net instanceof MultiLayerNetwork m) m.fit(it); else ((ComputationGraph) net).fit(it);
            it.reset();
        }
        double after = score(net);
        System.out.printf("%s held-out loss %.4f -> %.4f%n", net.getClass().getSimpleName(), before, after);
        assertTrue(Double.isFinite(after) && after < 0.7 * before, "held-out loss " + before + " -> " + after);
    }

    private static double score(Model net) {
        return net instanceof MultiLayerNetwork m ? m.score(heldOut, false) : ((ComputationGraph) net).score(heldOut, false);
    }
}
