package org.repnas.zoo;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.fusion.FusedConv;

import java.util.Map;

/**
 * Turns a trained network holding ODBBs into a plain DL4J network (timm's {@code reparameterize_model}: one walk over
 * the model fuses every fusable block): every {@link OdbbConvLayer} becomes a {@link ConvolutionLayer} with bias and
 * the block's activation; every other layer is carried over with its weights. The result uses only DL4J classes.
 */
public final class NetworkFuser {
    private NetworkFuser() {
    }

    /** A plain copy of {@code net} with every ODBB fused (inference semantics: running BatchNorm statistics). */
    public static MultiLayerNetwork fuse(MultiLayerNetwork net) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl odbb) {
                NeuralNetConfiguration layerConf = conf.getConf(i);
                layerConf.setLayer(fusedLayer(odbb.odbbConf(), odbb.fuse()));
                layerConf.clearVariables();
            }
        }
        MultiLayerNetwork fused = new MultiLayerNetwork(conf);
        fused.init();
        for (int i = 0; i < net.getnLayers(); i++) {
            Layer from = net.getLayer(i);
            Layer to = fused.getLayer(i);
            if (from instanceof OdbbConvLayerImpl odbb) {
                copyFused(odbb.fuse(), to);
            } else {
                for (Map.Entry<String, INDArray> p : from.paramTable().entrySet()) {
                    to.getParam(p.getKey()).assign(p.getValue());
                }
            }
        }
        return fused;
    }

    /** The configuration of a DL4J convolution equivalent to a fused block (groups become a block-diagonal kernel). */
    static ConvolutionLayer fusedLayer(OdbbConvLayer block, FusedConv fused) {
        int k = fused.kernelSize();
        IUpdater updater = block.getUpdater() == null ? new NoOp() : block.getUpdater();
        ConvolutionLayer c = new ConvolutionLayer.Builder(k, k)
                .stride(fused.stride(), fused.stride())
                .padding(fused.padding(), fused.padding())
                .convolutionMode(ConvolutionMode.Truncate)
                .dataFormat(CNN2DFormat.NCHW)
                .nIn(fused.inChannels()).nOut(fused.outChannels())
                .hasBias(true)
                .activation(fused.activation())
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .name(block.getLayerName())
                .build();
        return c;
    }

    static void copyFused(FusedConv fused, Layer to) {
        to.getParam(ConvolutionParamInitializer.WEIGHT_KEY).assign(fused.denseKernel());
        to.getParam(ConvolutionParamInitializer.BIAS_KEY).assign(fused.conv().bias().reshape(1, fused.outChannels()));
    }
}
