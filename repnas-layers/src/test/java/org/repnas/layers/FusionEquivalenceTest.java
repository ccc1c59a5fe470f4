package org.repnas.layers;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.repnas.layers.fusion.FusedConv;

import java.util.EnumSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused block (one KxK convolution + bias) gives the multi-branch block's inference output, for every subset of
 * branches, with random weights and random BatchNorm statistics.
 */
class FusionEquivalenceTest {

    static Stream<Arguments> shapes() {
        // K, stride, nIn, nOut, groups, weight sharing
        return Stream.of(
                Arguments.of(3, 1, 4, 4, 1, true),
                Arguments.of(3, 2, 4, 6, 1, true),
                Arguments.of(5, 1, 4, 4, 1, true),
                Arguments.of(5, 2, 3, 5, 1, true),
                Arguments.of(3, 1, 4, 4, 2, true),
                Arguments.of(3, 2, 4, 6, 2, true),
                Arguments.of(3, 1, 4, 4, 1, false));
    }

    @ParameterizedTest(name = "K={0} stride={1} nIn={2} nOut={3} groups={4} sharing={5}")
    @MethodSource("shapes")
    void everyBranchSubsetFusesExactly(int k, int stride, int nIn, int nOut, int groups, boolean sharing) {
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            double tolerance = type == DataType.DOUBLE ? 1e-10 : 1e-5;
            OdbbConvLayer conf = OdbbConvLayer.builder().kernelSize(k).stride(stride).nIn(nIn).nOut(nOut).groups(groups)
                    .weightSharing(sharing).preset(BlockPreset.ALL).activation(Activation.IDENTITY).build();
            // Non-square, odd and even sides: the borders are where 1x1-KxK and 1x1-AVG fusion can go wrong.
            MultiLayerNetwork net = TestNetworks.singleBlock(conf, type, 7, 10);
            OdbbConvLayerImpl layer = (OdbbConvLayerImpl) net.getLayer(0);
            TestNetworks.randomize(layer.paramTable(), 11);
            INDArray x = TestNetworks.randomInput(type, 3, 2, nIn, 7, 10);
            OdbbConvLayer live = layer.odbbConf();
            EnumSet<Branch> present = live.getPresentBranches();
            assertEquals(nIn == nOut && stride == 1 ? 7 : 6, present.size());

            double worst = 0;
            int checked = 0;
            for (EnumSet<Branch> subset : TestNetworks.subsets(present)) {
                if (subset.isEmpty()) {
                    assertThrows(IllegalArgumentException.class, () -> live.setActiveBranches(subset));
                    continue;
                }
                live.setActiveBranches(subset);
                INDArray expected = net.output(x, false);
                FusedConv fused = layer.fuse();
                INDArray actual = fused.apply(x);
                assertArrayEquals(expected.shape(), actual.shape(), "shape for " + subset);
                double err = TestNetworks.relativeError(actual, expected);
                assertTrue(err <= tolerance, type + " " + subset + ": relative error " + err + " > " + tolerance);
                worst = Math.max(worst, err);
                checked++;
            }
            assertEquals((1 << present.size()) - 1, checked);
            System.out.printf("K=%d s=%d %d->%d g=%d sharing=%b %s: %d subsets, worst relative error %.2e%n",
                    k, stride, nIn, nOut, groups, sharing, type, checked, worst);
        }
    }
}
