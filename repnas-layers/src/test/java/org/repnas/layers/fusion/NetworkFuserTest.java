package org.repnas.layers.fusion;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.TestNetworks;
import org.deeplearning4j.nn.transferlearning.TransferLearning;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkFuserTest {

    /** Strides 1 and 2, K 3 and 5, groups, pooling, every preset, a narrowed active set, random BN statistics. */
    private static MultiLayerNetwork mixedNetwork() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
                .layer(OdbbConvLayer.builder().nOut(8).stride(2).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(8).preset(BlockPreset.ALL).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(OdbbConvLayer.builder().nOut(12).kernelSize(5).groups(2).preset(BlockPreset.DBB).build())
                .layer(OdbbConvLayer.builder().nOut(12).preset(BlockPreset.REPVGG).activation(Activation.IDENTITY).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new DenseLayer.Builder().nOut(10).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(5).build())
                .setInputType(InputType.convolutional(21, 17, 3))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl) {
                TestNetworks.randomize(net.getLayer(i).paramTable(), 10 + i);
            }
        }
        ((OdbbConvLayerImpl) net.getLayer(1)).odbbConf().setActiveBranches(EnumSet.of(Branch.CONV_1X1_AVG, Branch.IDENTITY, Branch.CONV_1XK));
        return net;
    }

    @Test
    void fusedMultiLayerNetworkGivesTheSameOutput() {
        MultiLayerNetwork net = mixedNetwork();
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 4, 3, 3, 21, 17);

        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        for (int i : new int[]{0, 1, 3, 4}) {
            assertInstanceOf(ConvolutionLayer.class, fused.getLayerWiseConfigurations().getConf(i).getLayer());
        }
        double err = TestNetworks.relativeError(fused.output(x, false), net.output(x, false));
        // compare the activations just before the softmax as well: softmax can hide differences
        double errFeatures = TestNetworks.relativeError(fused.feedForwardToLayer(6, x, false).get(7),
                net.feedForwardToLayer(6, x, false).get(7));
        System.out.printf("fused vs multi-branch: output %.2e, features %.2e%n", err, errFeatures);
        assertTrue(err <= 1e-5 && errFeatures <= 1e-5, err + " / " + errFeatures);
        assertEquals(net.getLayer(6).params(), fused.getLayer(6).params(), "other layers keep their weights");
    }

    @Test
    void fusedLayersRunOnOneDnnAndAgreeWithDl4jsBuiltInConvolution() {
        assertTrue(OneDnnLayerHelpers.available(), "the test backend (nd4j-native, a oneDNN build) has oneDNN");
        String before = System.getProperty("org.eclipse.deeplearning4j.helpers.disable");
        MultiLayerNetwork fused = NetworkFuser.fuse(mixedNetwork());
        assertEquals(before, System.getProperty("org.eclipse.deeplearning4j.helpers.disable"), "DL4J's helper switch untouched");
        assertNull(mixedNetwork().getLayer(0).getHelper(), "layers the user creates keep DL4J's default (no helpers)");
        assertNull(getClass().getClassLoader().getResource("org/nd4j/nativeblas/Nd4jCpu.class"),
                "no shim class in ND4J's package");

        MultiLayerNetwork builtIn = new MultiLayerNetwork(fused.getLayerWiseConfigurations().clone());
        builtIn.init(fused.params().dup(), false);
        for (int i : new int[]{0, 1, 3, 4}) {
            assertInstanceOf(MKLDNNConvHelper.class, fused.getLayer(i).getHelper(), "fused layer " + i + " on oneDNN");
            assertNull(builtIn.getLayer(i).getHelper(), "layer " + i + " of a network built outside the fuser");
        }
        assertInstanceOf(org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper.class, fused.getLayer(2).getHelper(),
                "max pooling on oneDNN too");
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 5, 4, 3, 21, 17);
        double err = TestNetworks.relativeError(fused.output(x, false), builtIn.output(x, false));
        assertTrue(err <= 1e-5, "oneDNN against DL4J's im2col convolution: " + err);

        // a network restored or cloned by the user gets the helpers with one call
        MultiLayerNetwork copy = fused.clone();
        assertNull(copy.getLayer(0).getHelper(), "a helper belongs to the layer object, not the configuration");
        OneDnnLayerHelpers.attach(copy);
        assertInstanceOf(MKLDNNConvHelper.class, copy.getLayer(0).getHelper());
        assertTrue(TestNetworks.relativeError(copy.output(x, false), builtIn.output(x, false)) <= 1e-5);
    }

    @Test
    void channelsLastFusionGivesTheSameOutputs() throws java.io.IOException {
        MultiLayerNetwork net = mixedNetwork();
        MultiLayerNetwork nchw = NetworkFuser.fuse(net);
        MultiLayerNetwork nhwc = NetworkFuser.fuse(net, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC);
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 6, 4, 3, 21, 17);
        double err = TestNetworks.relativeError(nhwc.output(x.permute(0, 2, 3, 1).dup('c'), false), nchw.output(x, false));
        assertTrue(err <= 1e-6, "NHWC against NCHW fused network: " + err);
        assertInstanceOf(MKLDNNConvHelper.class, nhwc.getLayer(0).getHelper());
        // plain DL4J: the JSON round trip keeps the layout
        MultiLayerNetwork back = MultiLayerNetwork.load(save(nhwc), false);
        assertEquals(nhwc.output(x.permute(0, 2, 3, 1).dup('c'), false), back.output(x.permute(0, 2, 3, 1).dup('c'), false));
    }

    private static java.io.File save(MultiLayerNetwork n) {
        try {
            java.io.File f = java.io.File.createTempFile("nhwc", ".zip");
            f.deleteOnExit();
            n.save(f, false);
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void frozenBlocksOfTransferLearningAreFusedToo() {
        MultiLayerNetwork net = mixedNetwork();
        MultiLayerNetwork frozen = new TransferLearning.Builder(net).setFeatureExtractor(1).build();   // layers 0, 1 frozen
        assertInstanceOf(org.deeplearning4j.nn.layers.FrozenLayer.class, frozen.getLayer(0));
        assertEquals(4, OdbbBlocks.find(frozen).size(), "the blocks inside FrozenLayer are found");
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 6, 3, 3, 21, 17);

        MultiLayerNetwork fused = NetworkFuser.fuse(frozen);
        assertTrue(OdbbBlocks.find(fused).isEmpty(), "no block is left unfused");
        double err = TestNetworks.relativeError(fused.output(x, false), frozen.output(x, false));
        assertTrue(err <= 1e-5, "frozen blocks fused: " + err);
        double errSd = TestNetworks.relativeError(SameDiffExport.output(SameDiffExport.fromNetwork(frozen), x), frozen.output(x, false));
        assertTrue(errSd <= 1e-5, "frozen blocks exported to SameDiff: " + errSd);
    }

    @Test
    void fusedConfigurationNeedsNothingButDl4j() {
        MultiLayerNetwork net = mixedNetwork();
        // a training schedule of this library on every layer, as a search leaves it
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayerWiseConfigurations().getConf(i).getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b) {
                b.setIUpdater(new org.nd4j.linalg.learning.config.Sgd(new LibrarySchedule()));
            }
        }
        String json = NetworkFuser.fuse(net).getLayerWiseConfigurations().toJson();
        assertFalse(json.contains("org.repnas"), "the fused configuration names a class of this library");
    }

    /** A learning-rate schedule class of this library's own (as the search's cosine schedule is). */
    static final class LibrarySchedule implements org.nd4j.linalg.schedule.ISchedule {
        @Override public double valueAt(int iteration, int epoch) { return 0.1; }
        @Override public org.nd4j.linalg.schedule.ISchedule clone() { return this; }
    }
}
