package org.repnas.layers;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A small supernet of ALL blocks and a small synthetic classification task for search tests. */
public final class TinySupernet {
    private TinySupernet() {
    }

    public static MultiLayerConfiguration supernetConf(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(1e-3)).list()
                .layer(OdbbConvLayer.builder().nOut(6).stride(2).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(6).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(8).stride(2).preset(BlockPreset.ALL).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build())
                .setInputType(InputType.convolutional(8, 8, 2))
                .build();
    }

    /** The same supernet as a ComputationGraph, with a residual add between the second block and the first. */
    public static org.deeplearning4j.nn.conf.ComputationGraphConfiguration supernetGraphConf(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("in")
                .addLayer("a", OdbbConvLayer.builder().nOut(6).stride(2).preset(BlockPreset.ALL).build(), "in")
                .addLayer("b", OdbbConvLayer.builder().nOut(6).preset(BlockPreset.ALL).build(), "a")
                .addVertex("sum", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                        org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "a", "b")
                .addLayer("c", OdbbConvLayer.builder().nOut(8).stride(2).preset(BlockPreset.ALL).build(), "sum")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(3).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 2))
                .build();
    }

    public static org.deeplearning4j.nn.graph.ComputationGraph supernetGraph(long seed) {
        org.deeplearning4j.nn.graph.ComputationGraph net = new org.deeplearning4j.nn.graph.ComputationGraph(supernetGraphConf(seed));
        net.init();
        return net;
    }

    public static MultiLayerNetwork supernet(long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(supernetConf(seed));
        net.init();
        return net;
    }

    /** Images whose class is the quadrant with the largest mean of channel 0: learnable by a few convolutions. */
    public static DataSet data(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 2, 8, 8);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            double best = -1;
            int cls = 0;
            for (int q = 0; q < 3; q++) {
                int r = q / 2 * 4, c = q % 2 * 4;
                double m = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(r, r + 4), org.nd4j.linalg.indexing.NDArrayIndex.interval(c, c + 4))
                        .meanNumber().doubleValue();
                if (m > best) { best = m; cls = q; }
            }
            y.putScalar(i, cls, 1f);
        }
        return new DataSet(x, y);
    }
}
