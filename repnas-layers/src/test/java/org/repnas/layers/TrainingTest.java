package org.repnas.layers;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Networks with ODBBs train on real Fashion-MNIST batches (Debian's dataset-fashion-mnist): one epoch of 2,048 images
 * must cut the held-out loss by 30%. (With a global-pooling head, ODBB PLAIN and DL4J's own convolution + BatchNorm
 * learn equally slowly here; a dense head learns fast enough for a short test.)
 */
class TrainingTest {
    static DataSet train;
    static DataSet heldOut;

    @BeforeAll
    static void data() throws IOException {
        train = FashionMnistFixture.load(true, 2048);
        heldOut = FashionMnistFixture.load(false, 512);
    }

    static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(12).dataType(DataType.FLOAT).updater(new Adam(2e-3));
    }

    @Test
    void multiLayerNetworkLossFalls() {
        MultiLayerConfiguration conf = base().list()
                .layer(OdbbConvLayer.builder().nOut(16).stride(2).preset(BlockPreset.DBB).build())
                .layer(OdbbConvLayer.builder().nOut(16).stride(1).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(16).stride(2).preset(BlockPreset.ACB).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnistFixture.CLASSES).build())
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
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "sum")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnistFixture.CLASSES).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(28, 28, 1))
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        assertLossFalls(net);
    }

    /**
     * Held-out loss with batch statistics must fall by 30% in one epoch; with running statistics (inference) it must
     * fall too. Early in fast training running statistics lag (DL4J's own BatchNormalization too; with many summed
     * BatchNorms more): with frozen weights they converge to the batch-statistics loss, which a test of
     * exact inference elsewhere (FusionEquivalenceTest) does not need.
     */
    private static void assertLossFalls(Model net) {
        double beforeBatchStats = score(net, true);
        double beforeInference = score(net, false);
        DataSet shuffled = train.copy();
        shuffled.shuffle(1);
        DataSetIterator it = new ListDataSetIterator<>(shuffled.asList(), 64);
        if (net instanceof MultiLayerNetwork m) m.fit(it); else ((ComputationGraph) net).fit(it);
        double afterBatchStats = score(net, true);
        double afterInference = score(net, false);
        System.out.printf("%s held-out loss, batch statistics %.4f -> %.4f, running statistics %.4f -> %.4f%n",
                net.getClass().getSimpleName(), beforeBatchStats, afterBatchStats, beforeInference, afterInference);
        assertTrue(Double.isFinite(afterBatchStats) && afterBatchStats < 0.7 * beforeBatchStats,
                "held-out loss (batch statistics) " + beforeBatchStats + " -> " + afterBatchStats);
        assertTrue(afterInference < beforeInference, "held-out loss (inference) " + beforeInference + " -> " + afterInference);
    }

    private static double score(Model net, boolean batchStatistics) {
        return net instanceof MultiLayerNetwork m ? m.score(heldOut, batchStatistics)
                : ((ComputationGraph) net).score(heldOut, batchStatistics);
    }
}
