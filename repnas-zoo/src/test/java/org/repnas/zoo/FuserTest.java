package org.repnas.zoo;

import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.layers.fusion.SameDiffExport;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.TestNetworks;

import java.io.File;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * (a) the plain DL4J network and (b) the SameDiff graph give the multi-branch network's inference output, with random
 * weights and random BatchNorm statistics.
 */
class FuserTest {

    static void randomizeBlocks(MultiLayerNetwork net, long seed) {
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl) {
                TestNetworks.randomizeForDepth(net.getLayer(i).paramTable(), seed + i);
            }
        }
    }

    /** Logits-level comparison too: the softmax output alone can hide differences. */
    static void assertFusedEquivalent(MultiLayerNetwork net, INDArray x, String what) {
        INDArray expected = net.output(x, false);
        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        SameDiff sd = SameDiffExport.fromNetwork(net);
        double errPlain = TestNetworks.relativeError(fused.output(x, false), expected);
        double errSd = TestNetworks.relativeError(SameDiffExport.output(sd, x), expected);
        int last = net.getnLayers() - 1;
        double errFeatures = TestNetworks.relativeError(fused.feedForwardToLayer(last - 1, x, false).get(last),
                net.feedForwardToLayer(last - 1, x, false).get(last));
        System.out.printf("%s: fused DL4J %.2e, SameDiff %.2e, features %.2e%n", what, errPlain, errSd, errFeatures);
        assertTrue(errPlain <= 1e-5 && errSd <= 1e-5 && errFeatures <= 1e-5,
                what + ": plain " + errPlain + ", SameDiff " + errSd + ", features " + errFeatures);
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl) {
                assertInstanceOf(ConvolutionLayer.class, fused.getLayerWiseConfigurations().getConf(i).getLayer());
            }
        }
    }

    @Test
    void repVggA0WithAllBranches() {
        MultiLayerNetwork net = RepVgg.builder(RepVgg.Variant.A0).preset(BlockPreset.ALL).inputShape(3, 64, 64).build().init();
        randomizeBlocks(net, 1);
        assertFusedEquivalent(net, TestNetworks.randomInput(DataType.FLOAT, 3, 2, 3, 64, 64), "RepVGG-A0 ALL");
    }

    @ParameterizedTest
    @EnumSource(BlockPreset.class)
    void vgg16EveryPreset(BlockPreset preset) {
        MultiLayerNetwork net = Vgg16Cifar10.builder().preset(preset).build().init();
        randomizeBlocks(net, 2);
        assertFusedEquivalent(net, TestNetworks.randomInput(DataType.FLOAT, 4, 2, 3, 32, 32), "VGG-16 " + preset);
    }

    @Test
    void groupedRepVggKeepsGroupsInSameDiff() {
        MultiLayerNetwork net = RepVgg.custom(new int[]{2, 2, 2, 1}, 0.25, 0.25).groups(2).preset(BlockPreset.ALL)
                .numClasses(7).inputShape(3, 32, 32).build().init();
        randomizeBlocks(net, 3);
        assertFusedEquivalent(net, TestNetworks.randomInput(DataType.FLOAT, 5, 2, 3, 32, 32), "RepVGG g2");
    }

    @Test
    void sameDiffGraphSavesAndLoads(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = Vgg16Cifar10.builder().preset(BlockPreset.DBB).build().init();
        randomizeBlocks(net, 4);
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 6, 3, 3, 32, 32);
        SameDiff sd = SameDiffExport.fromNetwork(net);
        File f = dir.resolve("vgg16.sd").toFile();
        SameDiffExport.save(sd, f);
        SameDiff back = SameDiff.load(f, false);
        assertEquals(SameDiffExport.output(sd, x), SameDiffExport.output(back, x));
    }
}
