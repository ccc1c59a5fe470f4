package org.repnas.zoo;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.io.ZipBytes;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.TestNetworks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Official-layout RepVGG deploy weights exported from PyTorch (src/test/python/make_repvgg_deploy_fixture.py). */
class RepVggConverterTest {

    static RepVgg tiny(int groups) {
        return RepVgg.custom(new int[]{1, 2, 1, 1}, 0.25, 0.5).groups(groups).preset(BlockPreset.PLAIN).numClasses(7)
                .inputShape(3, 32, 32).build();
    }

    static Path fixture(String name) throws Exception {
        return Path.of(RepVggConverterTest.class.getResource("/reference/" + name).toURI());
    }

    @Test
    void sameOutputAsPyTorch() throws Exception {
        for (int groups : new int[]{1, 2}) {
            String base = groups == 1 ? "repvgg_tiny_deploy" : "repvgg_tiny_deploy_g2";
            Path npz = fixture(base + ".npz");
            Map<String, INDArray> ref = Nd4j.createFromNpzFile(fixture(base + "_io.npz").toFile());
            MultiLayerNetwork net = RepVggConverter.fromDeployNpz(npz, tiny(groups));
            INDArray x = ref.get("input");
            int n = net.getnLayers();
            INDArray features = net.feedForwardToLayer(n - 2, x, false).get(n - 1);       // after global pooling
            INDArray logits = features.mmul(net.getLayer(n - 1).getParam("W")).addiRowVector(net.getLayer(n - 1).getParam("b"));
            INDArray probs = net.output(x, false);
            double errFeatures = TestNetworks.relativeError(features, ref.get("features"));
            double errLogits = maxAbs(logits.sub(ref.get("logits")));
            double errProbs = maxAbs(probs.sub(ref.get("probabilities")));
            System.out.printf("groups %d: features relative %.2e, logits max abs %.2e, probabilities max abs %.2e%n",
                    groups, errFeatures, errLogits, errProbs);
            assertTrue(errFeatures <= 1e-4 && errLogits <= 1e-4 && errProbs <= 1e-4, "groups " + groups);
        }
    }

    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }

    @Test
    void wrongFilesAreExplained(@TempDir Path dir) throws Exception {
        IOException missing = assertThrows(IOException.class, () -> RepVggConverter.fromDeployNpz(dir.resolve("none.npz"), tiny(1)));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
        IOException variant = assertThrows(IOException.class,
                () -> RepVggConverter.fromDeployNpz(fixture("repvgg_tiny_deploy_g2.npz"), tiny(1)));
        assertTrue(variant.getMessage().contains("expects") && variant.getMessage().contains("another variant"), variant.getMessage());
        Path garbage = dir.resolve("garbage.npz");
        Files.writeString(garbage, "not a zip");
        IOException corrupt = assertThrows(IOException.class, () -> RepVggConverter.fromDeployNpz(garbage, tiny(1)));
        assertTrue(corrupt.getMessage().contains(garbage.toString()) && corrupt.getMessage().contains("not a zip archive"),
                corrupt.getMessage());
    }

    /** ND4J alone would load the cut file with linear.bias zero-filled (logits off by 0.7) and the changed one as is. */
    @Test
    void damagedNpzNamesFileAndEntry(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(fixture("repvgg_tiny_deploy.npz"));
        Path cut = dir.resolve("cut.npz");
        Files.write(cut, Arrays.copyOf(whole, ZipBytes.dataStart(whole, "linear.bias.npy") + 100));   // last entry: 156 bytes
        IOException e = assertThrows(IOException.class, () -> RepVggConverter.fromDeployNpz(cut, tiny(1)));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("'linear.bias.npy'")
                && e.getMessage().contains("cut off"), e.getMessage());

        byte[] changed = whole.clone();
        changed[ZipBytes.dataStart(changed, "stage1.0.rbr_reparam.weight.npy") + 1000] ^= 0x40;   // inside a weight
        Path flipped = dir.resolve("flipped.npz");
        Files.write(flipped, changed);
        e = assertThrows(IOException.class, () -> RepVggConverter.fromDeployNpz(flipped, tiny(1)));
        assertTrue(e.getMessage().contains(flipped.toString()) && e.getMessage().contains("'stage1.0.rbr_reparam.weight.npy'")
                && e.getMessage().contains("CRC"), e.getMessage());
    }
}
