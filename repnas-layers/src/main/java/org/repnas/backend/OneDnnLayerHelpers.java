package org.repnas.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.reflect.Field;

/**
 * Puts DL4J's own oneDNN helpers on the convolution and subsampling layers of one network, which is what makes a
 * fused network (plain {@code ConvolutionLayer}s) fast. Nothing else in the JVM changes.
 *
 * <p>In DL4J 1.0.0-M2.1 a {@code ConvolutionLayer} on the CPU runs im2col and a matrix multiply, about 10x slower than
 * the oneDNN convolution the same natives have. DL4J would attach its {@code MKLDNNConvHelper} when a layer is created,
 * but (1) layer helpers are off by default ({@code org.eclipse.deeplearning4j.helpers.disable=true}), and (2) even when
 * switched on, {@code BaseMKLDNNHelper.mklDnnEnabled()} asks the class {@code org.nd4j.nativeblas.Nd4jCpu$Environment},
 * which M2.1's natives renamed to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}: the lookup fails,
 * the failure is cached, and no layer ever gets the helper (a DL4J M2.1 bug; delete this class once DL4J checks the
 * new name). That check runs only when a layer is created; afterwards the layer uses whatever is in its
 * {@code helper} field. So this class creates the helpers itself and sets that field, after the network is built.
 *
 * <p>{@link org.repnas.layers.fusion.NetworkFuser}-made and zoo networks get the helpers without asking. For a fused
 * network you restore yourself: {@code OneDnnLayerHelpers.attach(ModelSerializer.restoreMultiLayerNetwork(file))}.
 * A helper belongs to the layer object: a {@code clone()} of the network or a restored copy needs {@link #attach}
 * again. Outputs agree with DL4J's built-in path to float rounding (a test checks it).
 */
public final class OneDnnLayerHelpers {
    private static final Field CONV_HELPER = field(ConvolutionLayer.class);
    private static final Field SUBSAMPLING_HELPER = field(SubsamplingLayer.class);

    private OneDnnLayerHelpers() {
    }

    /**
     * Attaches oneDNN helpers to the network's convolution and subsampling layers (also inside frozen layers) that have
     * none.
     *
     * @return the network
     */
    public static MultiLayerNetwork attach(MultiLayerNetwork net) {
        attach(net.getLayers(), net.getLayerWiseConfigurations().getDataType());
        return net;
    }

    /** As {@link #attach(MultiLayerNetwork)} for a ComputationGraph. */
    public static ComputationGraph attach(ComputationGraph net) {
        attach(net.getLayers(), net.getConfiguration().getDataType());
        return net;
    }

    /**
     * Attaches helpers to these layers where possible.
     *
     * @return how many layers got one (0 on a backend without oneDNN, such as CUDA or the generic CPU build)
     */
    public static int attach(Layer[] layers, DataType dataType) {
        if (layers == null || !available()) return 0;
        int n = 0;
        for (Layer l : layers) {
            if (attach(l, dataType)) n++;
        }
        return n;
    }

    private static boolean attach(Layer l, DataType dataType) {
        if (l instanceof org.deeplearning4j.nn.layers.FrozenLayer f) return attach(f.getInsideLayer(), dataType);
        if (l instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop f) return attach(f.getInsideLayer(), dataType);
        try {
            // exact classes: subclasses (deconvolution, depthwise, 1D/3D, ...) run other ops than these helpers
            if (l.getClass() == ConvolutionLayer.class && CONV_HELPER != null && CONV_HELPER.get(l) == null) {
                CONV_HELPER.set(l, new MKLDNNConvHelper(dataType));
                return true;
            }
            if (l.getClass() == SubsamplingLayer.class && SUBSAMPLING_HELPER != null && SUBSAMPLING_HELPER.get(l) == null) {
                SUBSAMPLING_HELPER.set(l, new MKLDNNSubsamplingHelper(dataType));
                return true;
            }
        } catch (IllegalAccessException e) {
            return false;
        }
        return false;
    }

    private static Field field(Class<?> layer) {
        try {
            Field f = layer.getDeclaredField("helper");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;        // another DL4J version: no helpers, the built-in path still works
        }
    }

    /** Whether the loaded ND4J backend is a CPU build with oneDNN, and ND4J allows helpers. */
    public static boolean available() {
        if (!"CPU".equalsIgnoreCase(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"))
                || !Nd4j.getEnvironment().helpersAllowed() || CONV_HELPER == null) {
            return false;
        }
        try {
            Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
            Object instance = env.getMethod("getInstance").invoke(null);
            return (boolean) env.getMethod("isUseONEDNN").invoke(instance);
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            return false;
        }
    }
}
