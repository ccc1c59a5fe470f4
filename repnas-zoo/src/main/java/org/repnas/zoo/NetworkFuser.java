package org.repnas.zoo;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.fusion.FusedConv;

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

    /** A fresh network of {@code conf} whose layers run on oneDNN ({@link OneDnnLayerHelpers}). */
    static MultiLayerNetwork initOnOneDnn(MultiLayerConfiguration conf) {
        return OneDnnLayerHelpers.whileCreating(() -> {
            MultiLayerNetwork n = new MultiLayerNetwork(conf);
            n.init();
            return n;
        });
    }

    /** As {@link #fuse(MultiLayerNetwork)} for a ComputationGraph. */
    public static ComputationGraph fuse(ComputationGraph net) {
        ComputationGraph fused = OneDnnLayerHelpers.whileCreating(() -> {
            ComputationGraph g = new ComputationGraph(fusedConfiguration(net.getConfiguration()));
            g.init();
            return g;
        });
        for (Layer from : net.getLayers()) {
            copy(from, fused.getLayer(from.conf().getLayer().getLayerName()));
        }
        return fused;
    }

    /** The fused network's configuration: every ODBB replaced by its convolution (no weights needed). */
    public static MultiLayerConfiguration fusedConfiguration(MultiLayerConfiguration conf) {
        MultiLayerConfiguration out = conf.clone();
        for (NeuralNetConfiguration c : out.getConfs()) {
            if (c.getLayer() instanceof OdbbConvLayer o) {
                c.setLayer(fusedLayer(o));
                c.clearVariables();
            }
        }
        return out;
    }

    /** As {@link #fusedConfiguration(MultiLayerConfiguration)} for a ComputationGraph configuration. */
    public static ComputationGraphConfiguration fusedConfiguration(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration out = conf.clone();
        for (Map.Entry<String, GraphVertex> v : out.getVertices().entrySet()) {
            if (v.getValue() instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof OdbbConvLayer o) {
                lv.getLayerConf().setLayer(fusedLayer(o));
                lv.getLayerConf().clearVariables();
            }
        }
        return out;
    }

    /** The DL4J convolution a block fuses into: K x K, stride, padding K/2, bias, the block's activation. */
    static ConvolutionLayer fusedLayer(OdbbConvLayer block) {
        int k = block.getKernelSize();
        IUpdater updater = block.getUpdater() == null ? new NoOp() : block.getUpdater();
        return new ConvolutionLayer.Builder(k, k)
                .stride(block.getStride(), block.getStride())
                .padding(k / 2, k / 2)
                .convolutionMode(ConvolutionMode.Truncate)
                .dataFormat(CNN2DFormat.NCHW)
                .nIn(block.getNIn()).nOut(block.getNOut())
                .hasBias(true)
                .activation(block.getActivation())
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .name(block.getLayerName())
                .build();
    }

    private static void copy(Layer from, Layer to) {
        if (from instanceof OdbbConvLayerImpl odbb) {
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
