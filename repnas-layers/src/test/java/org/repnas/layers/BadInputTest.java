package org.repnas.layers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every mistake gets an exception whose message says what to change. */
class BadInputTest {

    private static void assertMessage(Executable e, String... mustContain) {
        Exception ex = assertThrows(Exception.class, e);
        Throwable t = ex;
        StringBuilder all = new StringBuilder();
        while (t != null) { all.append(t.getMessage()).append(" | "); t = t.getCause(); }
        for (String s : mustContain) {
            assertTrue(all.toString().contains(s), "message should mention '" + s + "': " + all);
        }
    }

    @Test
    void evenKernel() {
        assertMessage(() -> OdbbConvLayer.builder().nOut(8).kernelSize(4).preset(BlockPreset.ALL).build(),
                "kernelSize must be odd", "got 4", "kernelSize(3)");
    }

    @Test
    void noBranch() {
        assertMessage(() -> OdbbConvLayer.builder().nOut(8).build(), "at least one branch", "preset(BlockPreset.REPVGG)");
        assertMessage(() -> OdbbConvLayer.builder().nOut(8).branches().build(), "at least one branch");
    }

    @Test
    void identityWhereItCannotExist() {
        // known nIn: caught when the layer is built
        assertMessage(() -> OdbbConvLayer.builder().nIn(8).nOut(16).branches(Branch.KXK, Branch.IDENTITY).build(),
                "identity branch needs nIn == nOut and stride 1", "nIn=8, nOut=16", "Remove Branch.IDENTITY");
        assertMessage(() -> OdbbConvLayer.builder().nIn(8).nOut(8).stride(2).branches(Branch.IDENTITY).build(), "stride=2");
        // inferred nIn: caught when the network configuration is built
        assertMessage(() -> new NeuralNetConfiguration.Builder().list()
                .layer(OdbbConvLayer.builder().nOut(16).branches(Branch.KXK, Branch.IDENTITY).build())
                .setInputType(InputType.convolutional(8, 8, 3)).build(), "identity branch", "nIn=3, nOut=16");
        // a preset simply leaves identity out
        OdbbConvLayer ok = OdbbConvLayer.builder().nIn(8).nOut(16).preset(BlockPreset.REPVGG).build();
        assertTrue(!ok.getPresentBranches().contains(Branch.IDENTITY));
    }

    @Test
    void activatingAnAbsentBranchOrNone() {
        OdbbConvLayer c = OdbbConvLayer.builder().nIn(4).nOut(4).preset(BlockPreset.ACB).build();
        assertMessage(() -> c.setActiveBranches(EnumSet.of(Branch.CONV_1X1)), "cannot activate [CONV_1X1]", "present");
        assertMessage(() -> c.setActiveBranches(EnumSet.noneOf(Branch.class)), "at least one branch must stay active");
    }

    @Test
    void shapesThatDoNotFit() {
        assertMessage(() -> OdbbConvLayer.builder().nIn(6).nOut(8).groups(4).preset(BlockPreset.PLAIN).build(),
                "divisible by groups (4)");
        assertMessage(() -> OdbbConvLayer.builder().nOut(8).stride(0).preset(BlockPreset.PLAIN).build(), "stride must be 1 or more");
        assertMessage(() -> OdbbConvLayer.builder().preset(BlockPreset.PLAIN).build(), "nOut");
        assertMessage(() -> OdbbConvLayer.builder().nOut(4).preset(BlockPreset.PLAIN).branches(Branch.KXK).build(), "either preset");
        assertMessage(() -> new NeuralNetConfiguration.Builder().list()
                .layer(OdbbConvLayer.builder().nOut(8).preset(BlockPreset.PLAIN).build())
                .setInputType(InputType.feedForward(10)).build(), "needs convolutional input");
        assertMessage(() -> new NeuralNetConfiguration.Builder().list()
                .layer(OdbbConvLayer.builder().nOut(8).preset(BlockPreset.PLAIN).build())
                .setInputType(InputType.convolutional(8, 8, 3, CNN2DFormat.NHWC)).build(), "NCHW");
    }

    private static MultiLayerNetwork small() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.DBB).build())
                .setInputType(InputType.convolutional(6, 6, 3)).build());
        net.init();
        return net;
    }

    @Test
    void wrongInputRankOrChannels() {
        MultiLayerNetwork net = small();
        assertMessage(() -> net.output(Nd4j.rand(DataType.FLOAT, 2, 108)), "rank 4", "convolutionalFlat");
        assertMessage(() -> net.output(Nd4j.rand(DataType.FLOAT, 2, 5, 6, 6)), "expects 3 input channels", "[2, 5, 6, 6]");
        assertMessage(() -> net.output(Nd4j.rand(DataType.FLOAT, 2, 6, 6, 3)), "expects 3 input channels", "NHWC");
    }

    @Test
    void gradientNormalizationWouldCorruptRunningStatistics() {
        assertMessage(() -> {
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                    .gradientNormalization(GradientNormalization.RenormalizeL2PerLayer).list()
                    .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.DBB).build())
                    .setInputType(InputType.convolutional(6, 6, 3)).build());
            net.init();
        }, "running statistics", "GradientNormalization.None");
    }
}
