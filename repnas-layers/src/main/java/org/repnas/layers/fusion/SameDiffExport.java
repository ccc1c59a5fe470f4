package org.repnas.layers.fusion;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.SameDiffActivations;
import org.repnas.layers.fusion.BatchNormStats;
import org.repnas.layers.fusion.FusedConv;
import org.repnas.layers.fusion.ReparamTransforms;

import java.io.File;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A network, with every ODBB fused, as a plain SameDiff graph (the second fast inference path, next to
 * {@link NetworkFuser}; both run their convolutions on oneDNN) and a file {@link SameDiff#load(File, boolean)} reads
 * back. Input
 * placeholder {@value #INPUT} (NCHW), output variable {@value #OUTPUT}. Grouped blocks stay grouped.
 *
 * <p>Covers the layers convolutional classifiers use: ODBB and DL4J convolution, BatchNormalization, max/average
 * subsampling, global pooling, dense and output layers, activation and dropout layers, CNN-to-dense flattening, and in a
 * ComputationGraph element-wise and merge vertices. Anything else fails with its class name.
 */
public final class SameDiffExport {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";

    private final SameDiff sd = SameDiff.create();
    private int counter;
    /**
     * Variables holding channels-last (NHWC) maps. Convolutions run channels-last inside the graph: with NCHW arrays
     * libnd4j's oneDNN convolution reorders input and output to and from oneDNN's channels-last layout on every call
     * (three extra memory passes per layer); channels-last between convolutions needs none. Layers that need NCHW
     * (flattening, the graph's output) get a transpose back.
     */
    private final java.util.Set<SDVariable> channelsLast = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    private SameDiffExport() {
    }

    /** The fused inference graph of a MultiLayerNetwork (ODBBs fused on the way). */
    public static SameDiff fromNetwork(MultiLayerNetwork net) {
        SameDiffExport e = new SameDiffExport();
        SDVariable x = e.sd.placeHolder(INPUT, net.getLayerWiseConfigurations().getDataType(), -1, -1, -1, -1);
        for (int i = 0; i < net.getnLayers(); i++) {
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            x = e.layer(net.getLayer(i), e.preprocess(pre, x));
        }
        x = e.nchw(x);
        x.rename(OUTPUT);
        return e.sd;
    }

    /** As {@link #fromNetwork(MultiLayerNetwork)} for a ComputationGraph with one input and one output. */
    public static SameDiff fromNetwork(ComputationGraph net) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new UnsupportedOperationException("SameDiff export handles graphs with one input and one output, this one has "
                    + conf.getNetworkInputs() + " -> " + conf.getNetworkOutputs());
        }
        SameDiffExport e = new SameDiffExport();
        Map<String, SDVariable> values = new HashMap<>();
        values.put(conf.getNetworkInputs().get(0), e.sd.placeHolder(INPUT, conf.getDataType(), -1, -1, -1, -1));
        for (int idx : net.topologicalSortOrder()) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex v = net.getVertices()[idx];
            if (v.isInputVertex()) continue;
            String name = v.getVertexName();
            List<String> inputs = conf.getVertexInputs().get(name);
            SDVariable[] ins = inputs.stream().map(values::get).toArray(SDVariable[]::new);
            GraphVertex vc = conf.getVertices().get(name);
            SDVariable out;
            if (vc instanceof LayerVertex lv) {
                out = e.layer(v.getLayer(), e.preprocess(lv.getPreProcessor(), ins[0]));
            } else if (vc instanceof ElementWiseVertex ew) {
                ins = e.sameLayout(ins);
                out = ins[0];
                for (int i = 1; i < ins.length; i++) {
                    out = switch (ew.getOp()) {
                        case Add -> out.add(ins[i]);
                        case Subtract -> out.sub(ins[i]);
                        case Product -> out.mul(ins[i]);
                        case Max -> e.sd.math().max(out, ins[i]);
                        case Average -> out.add(ins[i]);
                    };
                }
                if (ew.getOp() == ElementWiseVertex.Op.Average) out = out.div(ins.length);
                if (e.channelsLast.contains(ins[0])) e.channelsLast.add(out);
            } else if (vc instanceof MergeVertex) {
                ins = e.sameLayout(ins);
                boolean last = e.channelsLast.contains(ins[0]);
                out = e.sd.concat(last ? 3 : 1, ins);
                if (last) e.channelsLast.add(out);
            } else {
                throw new UnsupportedOperationException("SameDiff export does not handle vertex '" + name + "' ("
                        + vc.getClass().getSimpleName() + ")");
            }
            values.put(name, out);
        }
        e.nchw(values.get(conf.getNetworkOutputs().get(0))).rename(OUTPUT);
        return e.sd;
    }

    /** Saves the graph (weights included, no training state) to a file {@code SameDiff.load(file, false)} reads. */
    public static void save(SameDiff sd, File file) throws IOException {
        File parent = file.getAbsoluteFile().getParentFile();
        if (parent != null && !parent.isDirectory() && !parent.mkdirs()) {
            throw new IOException("cannot create folder " + parent);
        }
        sd.save(file, false);
    }

    /** Runs an exported graph on an NCHW batch. */
    public static INDArray output(SameDiff sd, INDArray input) {
        return sd.output(Map.of(INPUT, input), OUTPUT).get(OUTPUT);
    }

    private SDVariable preprocess(InputPreProcessor pre, SDVariable x) {
        if (pre == null) return x;
        if (pre instanceof CnnToFeedForwardPreProcessor p) {
            return nchw(x).reshape(-1, p.getNumChannels() * p.getInputHeight() * p.getInputWidth());
        }
        throw new UnsupportedOperationException("SameDiff export does not handle preprocessor " + pre.getClass().getSimpleName());
    }

    private SDVariable layer(Layer layer, SDVariable x) {
        // frozen layers (transfer learning) export as what they wrap: the graph is for inference
        if (layer instanceof org.deeplearning4j.nn.layers.FrozenLayer f) return layer(f.getInsideLayer(), x);
        if (layer instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop f) return layer(f.getInsideLayer(), x);
        org.deeplearning4j.nn.conf.layers.Layer c = layer.conf().getLayer();
        if (layer instanceof OdbbConvLayerImpl odbb) {
            FusedConv f = odbb.fuse();
            SDVariable y = conv(x, f.conv().kernel(), f.conv().bias(), f.stride(), f.padding(), f.groups());
            return keepLayout(y, SameDiffActivations.apply(sd, f.activation(), y));
        } else if (c instanceof ConvolutionLayer cl && c.getClass() == ConvolutionLayer.class) {
            if (cl.getConvolutionMode() == ConvolutionMode.Same || cl.getDilation()[0] != 1 || cl.getDilation()[1] != 1
                    || cl.getStride()[0] != cl.getStride()[1] || cl.getPadding()[0] != cl.getPadding()[1]) {
                throw new UnsupportedOperationException("SameDiff export handles truncate-mode, undilated, symmetric "
                        + "convolutions; layer '" + c.getLayerName() + "' is not one");
            }
            INDArray b = cl.hasBias() ? layer.getParam("b").reshape(cl.getNOut()) : null;
            SDVariable y = conv(x, layer.getParam("W"), b, cl.getStride()[0], cl.getPadding()[0], 1);
            return keepLayout(y, SameDiffActivations.apply(sd, cl.getActivationFn(), y));
        } else if (c instanceof BatchNormalization bn) {
            INDArray log10 = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            BatchNormStats s = log10 != null
                    ? BatchNormStats.fromDl4jLog10Std(layer.getParam("gamma"), layer.getParam("beta"),
                    layer.getParam("mean"), log10, bn.getEps())
                    : BatchNormStats.of(layer.getParam("gamma"), layer.getParam("beta"), layer.getParam("mean"),
                    layer.getParam("var"), bn.getEps());
            // inference only: SameDiff's batchNorm op (its gradient is what M2.1 breaks), channels on axis 1 (3 if
            // channels-last), rank 2 or 4
            boolean last = channelsLast.contains(x);
            return keepLayout(x, sd.nn().batchNorm(x, constant(s.mean()), constant(s.var()), constant(s.gamma()),
                    constant(s.beta()), s.eps(), last ? 3 : 1));
        } else if (c instanceof SubsamplingLayer sl) {
            boolean last = channelsLast.contains(x);
            Pooling2DConfig p = Pooling2DConfig.builder().kH(sl.getKernelSize()[0]).kW(sl.getKernelSize()[1])
                    .sH(sl.getStride()[0]).sW(sl.getStride()[1]).pH(sl.getPadding()[0]).pW(sl.getPadding()[1])
                    .isNHWC(last).build();
            if (sl.getConvolutionMode() == ConvolutionMode.Same) {
                throw new UnsupportedOperationException("SameDiff export: subsampling layer '" + c.getLayerName() + "' uses Same mode");
            }
            return keepLayout(x, sl.getPoolingType() == PoolingType.MAX
                    ? sd.cnn().maxPooling2d(x, p) : sd.cnn().avgPooling2d(x, p));
        } else if (c instanceof GlobalPoolingLayer g) {
            int[] hw = channelsLast.contains(x) ? new int[]{1, 2} : new int[]{2, 3};
            return g.getPoolingType() == PoolingType.MAX ? x.max(hw) : x.mean(hw);
        } else if (c instanceof DenseLayer || c instanceof BaseOutputLayer) {
            org.deeplearning4j.nn.conf.layers.BaseLayer bl = (org.deeplearning4j.nn.conf.layers.BaseLayer) c;
            SDVariable y = x.mmul(constant(layer.getParam("W")));
            if (layer.getParam("b") != null) y = y.add(constant(layer.getParam("b")));
            return SameDiffActivations.apply(sd, bl.getActivationFn(), y);
        } else if (c instanceof ActivationLayer a) {
            return keepLayout(x, SameDiffActivations.apply(sd, a.getActivationFn(), x));
        } else if (c instanceof CnnLossLayer loss) {
            return SameDiffActivations.apply(sd, loss.getActivationFn(), nchw(x));     // inference: the activation only
        } else if (c instanceof DropoutLayer) {
            return x;   // inference
        }
        throw new UnsupportedOperationException("SameDiff export does not handle layer '" + c.getLayerName() + "' ("
                + c.getClass().getSimpleName() + "); supported: ODBB, convolution, batch norm, pooling, dense, output, activation, dropout");
    }

    /**
     * Convolution of an OIHW kernel with bias (inside oneDNN's convolution), channels-last output; the input may be
     * NCHW (the network's input: one transpose) or channels-last. Grouped as per-group convolutions (libnd4j has no
     * groups).
     */
    private SDVariable conv(SDVariable x, INDArray oihw, INDArray bias, int stride, int padding, int groups) {
        int kh = (int) oihw.size(2);
        int kw = (int) oihw.size(3);
        SDVariable in = nhwc(x);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(kh).kW(kw).sH(stride).sW(stride).pH(padding).pW(padding)
                .dataFormat(Conv2DConfig.NHWC).build();
        SDVariable y;
        if (groups == 1) {
            y = bias == null ? sd.cnn().conv2d(in, constant(ReparamTransforms.oihwToYxio(oihw)), cfg)
                    : sd.cnn().conv2d(in, constant(ReparamTransforms.oihwToYxio(oihw)), constant(bias.reshape(bias.length())), cfg);
        } else {
            SDVariable[] xs = sd.split(in, groups, 3);
            SDVariable[] ys = new SDVariable[groups];
            long perGroup = oihw.size(0) / groups;
            for (int g = 0; g < groups; g++) {
                org.nd4j.linalg.indexing.INDArrayIndex part = org.nd4j.linalg.indexing.NDArrayIndex.interval(g * perGroup, (g + 1) * perGroup);
                INDArray k = oihw.get(part, org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all());
                ys[g] = bias == null ? sd.cnn().conv2d(xs[g], constant(ReparamTransforms.oihwToYxio(k)), cfg)
                        : sd.cnn().conv2d(xs[g], constant(ReparamTransforms.oihwToYxio(k)),
                        constant(bias.reshape(bias.length()).get(part)), cfg);
            }
            y = sd.concat(3, ys);
        }
        channelsLast.add(y);
        return y;
    }

    /** {@code out} has the layout of {@code in} (an elementwise or layout-keeping op). */
    private SDVariable keepLayout(SDVariable in, SDVariable out) {
        if (channelsLast.contains(in)) channelsLast.add(out);
        return out;
    }

    /** The map as NCHW (a transpose if it is channels-last; rank-4 maps only). */
    private SDVariable nchw(SDVariable x) {
        return channelsLast.contains(x) ? x.permute(0, 3, 1, 2) : x;
    }

    /** The map as channels-last (a transpose if it is NCHW). */
    private SDVariable nhwc(SDVariable x) {
        if (channelsLast.contains(x)) return x;
        SDVariable y = x.permute(0, 2, 3, 1);
        channelsLast.add(y);
        return y;
    }

    /** Inputs of a merge or elementwise vertex in one layout: channels-last if all are, else NCHW. */
    private SDVariable[] sameLayout(SDVariable[] ins) {
        boolean allLast = java.util.Arrays.stream(ins).allMatch(channelsLast::contains);
        return allLast ? ins : java.util.Arrays.stream(ins).map(this::nchw).toArray(SDVariable[]::new);
    }

    private SDVariable constant(INDArray value) {
        return sd.constant("w" + (counter++), value.dup());
    }
}
