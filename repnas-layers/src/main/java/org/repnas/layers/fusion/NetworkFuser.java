package org.repnas.layers.fusion;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;

import java.util.Map;

/**
 * Turns a trained network holding ODBBs into a plain DL4J network (timm's {@code reparameterize_model}: one walk over
 * the model fuses every fusable block): every {@link OdbbConvLayer} becomes a {@link ConvolutionLayer} with bias and
 * the block's activation; every other layer is carried over with its weights. The result uses only DL4J classes, so
 * it loads where this library is not on the class path. (DL4J's ConvolutionLayer has no groups: a grouped block
 * becomes a block-diagonal kernel. {@link SameDiffExport} keeps groups.) Its layers are created with DL4J's oneDNN
 * helpers ({@link OneDnnLayerHelpers}): without them M2.1 runs ConvolutionLayer about 10x slower.
 */
public final class NetworkFuser {
    private NetworkFuser() {
    }

    /** A plain copy of {@code net} with every ODBB fused (inference semantics: running BatchNorm statistics). */
    public static MultiLayerNetwork fuse(MultiLayerNetwork net) {
        MultiLayerNetwork fused = initOnOneDnn(fusedConfiguration(net.getLayerWiseConfigurations()));
        for (int i = 0; i < net.getnLayers(); i++) {
            copy(net.getLayer(i), fused.getLayer(i));
        }
        return fused;
    }

    /**
     * As {@link #fuse(MultiLayerNetwork)}, in the given layout. {@link CNN2DFormat#NHWC} gives a channels-last network:
     * it takes NHWC input ({@code [batch, height, width, channels]}, c order: a permuted view is not enough, use
     * {@code x.permute(0, 2, 3, 1).dup('c')} for an NCHW batch) and needs no layout reorders between its oneDNN
     * convolutions; with NCHW arrays libnd4j's oneDNN convolution reorders its input and output on every layer (three
     * extra memory passes per layer; see the README, "Where the fused inference time goes"). Weights and outputs are the same as in
     * NCHW. Layers beyond convolution, subsampling, batch normalization, global pooling, activation, dropout, dense and
     * output layers (and flattening of a 1x1 map) are rejected for NHWC.
     */
    public static MultiLayerNetwork fuse(MultiLayerNetwork net, CNN2DFormat format) {
        MultiLayerConfiguration conf = fusedConfiguration(net.getLayerWiseConfigurations());
        if (format == CNN2DFormat.NHWC) channelsLast(conf);
        MultiLayerNetwork fused = initOnOneDnn(conf);
        for (int i = 0; i < net.getnLayers(); i++) {
            copy(net.getLayer(i), fused.getLayer(i));
        }
        return fused;
    }

    /** Switches a fused configuration to NHWC maps (the parameters keep their shapes). */
    static void channelsLast(MultiLayerConfiguration conf) {
        for (int i = 0; i < conf.getConfs().size(); i++) {
            org.deeplearning4j.nn.conf.layers.Layer l = conf.getConf(i).getLayer();
            org.deeplearning4j.nn.conf.InputPreProcessor pre = conf.getInputPreProcess(i);
            if (pre instanceof org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor p
                    && p.getInputHeight() * p.getInputWidth() == 1) {
                p.setFormat(CNN2DFormat.NHWC);       // a 1x1 map flattens the same in both layouts
            } else if (pre != null) {
                throw new UnsupportedOperationException("NHWC fusion: layer " + i + " has preprocessor "
                        + pre.getClass().getSimpleName() + " (flattening a map larger than 1x1 orders the features differently)");
            }
            if (l.getClass() == ConvolutionLayer.class) {
                ((ConvolutionLayer) l).setCnn2dDataFormat(CNN2DFormat.NHWC);
            } else if (l.getClass() == org.deeplearning4j.nn.conf.layers.SubsamplingLayer.class) {
                ((org.deeplearning4j.nn.conf.layers.SubsamplingLayer) l).setCnn2dDataFormat(CNN2DFormat.NHWC);
            } else if (l instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization bn) {
                bn.setCnn2DFormat(CNN2DFormat.NHWC);
            } else if (l instanceof org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer g) {
                g.setPoolingDimensions(new int[]{1, 2});
            } else if (!(l instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer
                    || l instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer
                    || l.getClass() == org.deeplearning4j.nn.conf.layers.DenseLayer.class
                    || l.getClass() == org.deeplearning4j.nn.conf.layers.OutputLayer.class)) {
                throw new UnsupportedOperationException("NHWC fusion does not handle layer " + i + " ("
                        + l.getClass().getSimpleName() + "); use NCHW");
            }
        }
    }

    /** A fresh network of {@code conf} whose layers run on oneDNN ({@link OneDnnLayerHelpers}). */
    public static MultiLayerNetwork initOnOneDnn(MultiLayerConfiguration conf) {
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return OneDnnLayerHelpers.attach(n);
    }

    /** As {@link #fuse(MultiLayerNetwork)} for a ComputationGraph. */
    public static ComputationGraph fuse(ComputationGraph net) {
        ComputationGraph fused = new ComputationGraph(fusedConfiguration(net.getConfiguration()));
        fused.init();
        OneDnnLayerHelpers.attach(fused);
        for (Layer from : net.getLayers()) {
            copy(from, fused.getLayer(from.conf().getLayer().getLayerName()));
        }
        return fused;
    }

    /**
     * The fused network's configuration (no weights needed): every ODBB replaced by its convolution, also inside DL4J's
     * {@link FrozenLayer} wrappers. The fused network is for inference: its layers carry no training updater
     * ({@link NoOp}), so its file needs nothing but DL4J (a search's learning-rate schedule or updater classes would
     * otherwise travel with it). To fine-tune it, give it an updater, e.g. with DL4J's TransferLearning and
     * FineTuneConfiguration.
     */
    public static MultiLayerConfiguration fusedConfiguration(MultiLayerConfiguration conf) {
        MultiLayerConfiguration out = conf.clone();
        for (NeuralNetConfiguration c : out.getConfs()) {
            fuseConfiguration(c);
        }
        return out;
    }

    /** As {@link #fusedConfiguration(MultiLayerConfiguration)} for a ComputationGraph configuration. */
    public static ComputationGraphConfiguration fusedConfiguration(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration out = conf.clone();
        for (GraphVertex v : out.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                fuseConfiguration(lv.getLayerConf());
            }
        }
        return out;
    }

    private static void fuseConfiguration(NeuralNetConfiguration c) {
        org.deeplearning4j.nn.conf.layers.Layer l = c.getLayer();
        if (l instanceof OdbbConvLayer o) {
            c.setLayer(fusedLayer(o));
            c.clearVariables();
        } else if (l instanceof FrozenLayer f && f.getLayer() instanceof OdbbConvLayer o) {
            c.setLayer(new FrozenLayer(fusedLayer(o)));
            c.clearVariables();
        } else if (l instanceof FrozenLayerWithBackprop f && f.getUnderlying() instanceof OdbbConvLayer o) {
            c.setLayer(new FrozenLayerWithBackprop(fusedLayer(o)));
            c.clearVariables();
        }
        withoutUpdater(c.getLayer());
    }

    private static void withoutUpdater(org.deeplearning4j.nn.conf.layers.Layer l) {
        if (l instanceof BaseLayer b) {
            b.setIUpdater(new NoOp());
            b.setBiasUpdater(null);
        } else if (l instanceof FrozenLayer f) {
            withoutUpdater(f.getLayer());
        } else if (l instanceof FrozenLayerWithBackprop f) {
            withoutUpdater(f.getUnderlying());
        }
    }

    /** The DL4J convolution a block fuses into: K x K, stride, padding K/2, bias, the block's activation. */
    static ConvolutionLayer fusedLayer(OdbbConvLayer block) {
        int k = block.getKernelSize();
        return new ConvolutionLayer.Builder(k, k)
                .stride(block.getStride(), block.getStride())
                .padding(k / 2, k / 2)
                .convolutionMode(ConvolutionMode.Truncate)
                .dataFormat(CNN2DFormat.NCHW)
                .nIn(block.getNIn()).nOut(block.getNOut())
                .hasBias(true)
                .activation(block.getActivation())
                .weightInit(WeightInit.XAVIER)
                .updater(new NoOp())
                .name(block.getLayerName())
                .build();
    }

    private static void copy(Layer from, Layer to) {
        OdbbConvLayerImpl odbb = OdbbBlocks.odbbOf(from);
        if (odbb != null) {
            FusedConv f = odbb.fuse();
            to.getParam(ConvolutionParamInitializer.WEIGHT_KEY).assign(f.denseKernel());
            to.getParam(ConvolutionParamInitializer.BIAS_KEY).assign(f.conv().bias().reshape(1, f.outChannels()));
        } else {
            for (Map.Entry<String, INDArray> p : from.paramTable().entrySet()) {
                to.getParam(p.getKey()).assign(p.getValue());
            }
        }
    }

    /** Parameters of the fused network (counted by DL4J's own initializers on the fused configuration). */
    public static long fusedParameterCount(MultiLayerConfiguration conf) {
        long n = 0;
        for (NeuralNetConfiguration c : fusedConfiguration(conf).getConfs()) {
            n += c.getLayer().initializer().numParams(c);
        }
        return n;
    }
}
