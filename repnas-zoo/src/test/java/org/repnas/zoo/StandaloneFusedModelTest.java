package org.repnas.zoo;

import org.repnas.layers.fusion.NetworkFuser;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.TestNetworks;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused plain network loads, and gives the same output, in a JVM whose class path has DL4J but no class of this
 * library (a separate process: ND4J's native library cannot be loaded twice in one JVM).
 */
class StandaloneFusedModelTest {

    @Test
    void fusedModelLoadsWithoutThisLibrary(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = RepVgg.custom(new int[]{1, 2, 1, 1}, 0.25, 0.5).preset(BlockPreset.ALL).numClasses(5)
                .inputShape(3, 32, 32).build().init();
        FuserTest.randomizeBlocks(net, 9);
        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        File model = dir.resolve("fused.zip").toFile();
        ModelSerializer.writeModel(fused, model, false);
        INDArray x = TestNetworks.randomInput(DataType.FLOAT, 1, 2, 3, 32, 32);
        File in = dir.resolve("x.npy").toFile();
        File out = dir.resolve("y.npy").toFile();
        Nd4j.writeAsNumpy(x, in);

        // surefire passes the real test class path in this property (java.class.path is its booter jar)
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String dl4jOnly = Arrays.stream(cp.split(File.pathSeparator))
                .filter(e -> !e.contains("repnas-") && !e.contains("junit") && !e.contains("surefire"))
                .collect(Collectors.joining(File.pathSeparator));
        Path program = Path.of(getClass().getResource("/standalone/LoadFusedModel.java").toURI());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", dl4jOnly, program.toString(), model.getPath(), in.getPath(), out.getPath())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("no repnas classes on the class path"), log);
        INDArray standalone = Nd4j.createFromNpyFile(out);
        assertEquals(fused.output(x, false), standalone);
        assertTrue(TestNetworks.relativeError(standalone, net.output(x, false)) < 1e-5);
        assertTrue(Files.size(model.toPath()) > 0);
    }
}
