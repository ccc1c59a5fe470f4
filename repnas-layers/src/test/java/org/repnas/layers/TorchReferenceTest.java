package org.repnas.layers;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.fusion.FusedConv;
import org.repnas.layers.fusion.ReparamTransforms;

import java.io.File;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against an independent implementation: the PyTorch 7-branch block of ../shared/bench/torch_reference.py (fixture
 * made by src/test/python/make_reference_block.py). Same weights and BatchNorm statistics must give the same
 * inference output and the same fused kernel, so the block means what the paper's block means.
 */
class TorchReferenceTest {
    private static final String[] TORCH_ORDER = {"kxk", "1x1", "1xk", "kx1", "1x1_kxk", "1x1_avg", "identity"};

    @Test
    void sameOutputAndFusedKernelAsPyTorch() throws Exception {
        File npz = new File(getClass().getResource("/reference/odbb_reference.npz").toURI());
        Map<String, INDArray> ref = Nd4j.createFromNpzFile(npz);
        INDArray cases = ref.get("cases");
        for (int i = 0; i < cases.size(0); i++) {
            int cin = cases.getInt(i, 0), cout = cases.getInt(i, 1), k = cases.getInt(i, 2), s = cases.getInt(i, 3);
            String p = "c" + i + "_";
            OdbbConvLayer conf = OdbbConvLayer.builder().nIn(cin).nOut(cout).kernelSize(k).stride(s)
                    .preset(BlockPreset.ALL).activation(Activation.IDENTITY).build();
            MultiLayerNetwork net = TestNetworks.singleBlock(conf, DataType.DOUBLE, 7, 10);
            OdbbConvLayerImpl layer = (OdbbConvLayerImpl) net.getLayer(0);
            Map<String, INDArray> params = layer.paramTable();
            assertEquals(ref.get(p + "branches").length(), layer.odbbConf().getPresentBranches().size());

            params.get(OdbbParams.MAIN_KERNEL).assign(ReparamTransforms.oihwToYxio(ref.get(p + "weight")));
            params.get(OdbbParams.PRE_KXK_KERNEL).assign(ReparamTransforms.oihwToYxio(ref.get(p + "pre_kxk_weight")));
            for (Branch b : layer.odbbConf().getPresentBranches()) {
                copyBn(ref, p + "bn_" + b.id(), params, OdbbParams.bn(b));
            }
            copyBn(ref, p + "pre_kxk_bn", params, OdbbParams.innerBn(Branch.CONV_1X1_KXK));
            copyBn(ref, p + "pre_avg_bn", params, OdbbParams.innerBn(Branch.CONV_1X1_AVG));

            INDArray x = ref.get(p + "x");
            double outErr = TestNetworks.relativeError(net.output(x, false), ref.get(p + "y"));
            FusedConv fused = layer.fuse();
            double kernelErr = TestNetworks.relativeError(fused.conv().kernel(), ref.get(p + "fused_weight"));
            double biasErr = TestNetworks.relativeError(fused.conv().bias(), ref.get(p + "fused_bias"));
            System.out.printf("case %d (%d->%d K=%d s=%d): output %.1e, fused kernel %.1e, bias %.1e%n",
                    i, cin, cout, k, s, outErr, kernelErr, biasErr);
            assertTrue(outErr < 1e-12, "output differs from PyTorch's: " + outErr);
            assertTrue(kernelErr < 1e-12 && biasErr < 1e-12, "fused kernel differs from PyTorch's: " + kernelErr + ", " + biasErr);
        }
    }

    private static void copyBn(Map<String, INDArray> ref, String from, Map<String, INDArray> params, OdbbParams.BatchNorm to) {
        String[] names = {to.gamma(), to.beta(), to.mean(), to.var()};
        String[] torch = {"_weight", "_bias", "_mean", "_var"};
        for (int j = 0; j < 4; j++) {
            INDArray src = ref.get(from + torch[j]);
            params.get(names[j]).assign(src.reshape(params.get(names[j]).shape()));
        }
    }
}
