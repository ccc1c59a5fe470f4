package org.repnas.zoo;

import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.zoo.PretrainedType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.layers.FashionMnistFixture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped pretrained fused Fashion-MNIST model loads offline through DL4J's zoo mechanism, checksum checked. */
class PretrainedTest {
    private File previousBase;

    @BeforeEach
    void privateCache(@TempDir Path dir) {
        previousBase = DL4JResources.getBaseDirectory();
        DL4JResources.setBaseDirectory(dir.toFile());
    }

    @AfterEach
    void restore() {
        DL4JResources.setBaseDirectory(previousBase);
    }

    @Test
    void loadsOfflineAndKeepsItsDocumentedAccuracy() throws Exception {
        FashionMnistNet model = FashionMnistNet.builder().build();
        assertTrue(model.pretrainedAvailable(PretrainedType.MNIST));
        assertNotEquals(0L, model.pretrainedChecksum(PretrainedType.MNIST), "the shipped model is checksummed");
        MultiLayerNetwork net = model.initPretrained(PretrainedType.MNIST);
        for (int i = 0; i < 6; i++) {
            assertInstanceOf(ConvolutionLayer.class, net.getLayerWiseConfigurations().getConf(i).getLayer(), "fused");
            assertInstanceOf(MKLDNNConvHelper.class, net.getLayer(i).getHelper(), "layer " + i + " on oneDNN");
        }
        assertEquals(null, System.getProperty("org.eclipse.deeplearning4j.helpers.disable"), "DL4J's helper switch untouched");
        DataSet test = FashionMnistFixture.load(false, 0);
        Evaluation ev = new Evaluation();
        for (int i = 0; i < test.numExamples(); i += 1000) {
            DataSet part = (DataSet) test.getRange(i, i + 1000);
            ev.eval(part.getLabels(), net.output(part.getFeatures(), false));
        }
        System.out.printf("pretrained fused FashionMnistNet: test accuracy %.4f%n", ev.accuracy());
        // 2 images of slack: oneDNN may round differently on another CPU
        assertEquals(DOCUMENTED_ACCURACY, ev.accuracy(), 2e-4, "the README's number");
    }

    /** The test accuracy the README documents for the shipped model (whole Fashion-MNIST test set). */
    static final double DOCUMENTED_ACCURACY = 0.8570;

    /** A model shipped in a jar of its own, without a checksum: DL4J copies it from the jar: URL, offline. */
    static final class JarShippedModel extends OdbbZooModel {
        private final String url;

        JarShippedModel(Path jar, String entry) {
            super(10, new int[]{1, 28, 28});
            this.url = "jar:" + jar.toUri() + "!/" + entry;
        }

        @Override
        protected NeuralNetConfiguration.ListBuilder layers(NeuralNetConfiguration.ListBuilder list) {
            return list;
        }

        @Override
        public String pretrainedUrl(PretrainedType type) {
            return type == PretrainedType.MNIST ? url : null;
        }

        @Override
        public String modelName() {
            return "jar-shipped";
        }
    }

    static Path jarWith(Path jar, String entry, byte[] content) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(entry));
            out.write(content);
        }
        return jar;
    }

    static byte[] shippedModel() throws IOException {
        try (InputStream in = FashionMnistNet.class.getResourceAsStream(FashionMnistNet.PRETRAINED_RESOURCE)) {
            return in.readAllBytes();
        }
    }

    @Test
    void withoutChecksumADamagedCopyIsReportedByName(@TempDir Path dir) throws Exception {
        JarShippedModel model = new JarShippedModel(jarWith(dir.resolve("models.jar"), "m/fashion.zip", shippedModel()),
                "m/fashion.zip");
        MultiLayerNetwork net = model.initPretrained(PretrainedType.MNIST);
        assertInstanceOf(MKLDNNConvHelper.class, net.getLayer(0).getHelper());
        File cached = model.cachedPretrainedFile(PretrainedType.MNIST);
        assertEquals("fashion.zip", cached.getName());
        byte[] whole = Files.readAllBytes(cached.toPath());
        for (byte[] damaged : new byte[][]{Arrays.copyOf(whole, whole.length - 100), new byte[0]}) {
            Files.write(cached.toPath(), damaged);
            IOException e = assertThrows(IOException.class, () -> model.initPretrained(PretrainedType.MNIST));
            assertTrue(e.getMessage().contains(cached.toString()) && e.getMessage().contains("damaged")
                    && e.getMessage().contains("call initPretrained again"), e.getMessage());
            assertFalse(cached.exists(), "the damaged copy is deleted");
            assertEquals(net.params(), ((MultiLayerNetwork) model.initPretrained(PretrainedType.MNIST)).params());
        }

        // the source itself cut off: DL4J's "Unexpected end of ZLIB input stream" becomes the file's name
        JarShippedModel cut = new JarShippedModel(jarWith(dir.resolve("cut.jar"), "m/cut.zip",
                Arrays.copyOf(whole, whole.length / 2)), "m/cut.zip");
        IOException e = assertThrows(IOException.class, () -> cut.initPretrained(PretrainedType.MNIST));
        assertTrue(e.getMessage().contains(cut.cachedPretrainedFile(PretrainedType.MNIST).toString())
                && e.getMessage().contains("damaged"), e.getMessage());
    }

    @Test
    void corruptCacheIsDeletedWithAClearError() throws Exception {
        FashionMnistNet model = FashionMnistNet.builder().build();
        model.initPretrained(PretrainedType.MNIST);                          // fills the cache
        File cached = new File(DL4JResources.getDirectory(ResourceType.ZOO_MODEL, model.modelName()),
                "fashion-mnist-odbb-fused.zip");
        assertTrue(cached.exists());
        Files.writeString(cached.toPath(), "not the model");
        IOException e = assertThrows(IOException.class, () -> model.initPretrained(PretrainedType.MNIST));
        assertTrue(e.getMessage().contains("failed its Adler32 checksum") && e.getMessage().contains("call initPretrained again"),
                e.getMessage());
        assertFalse(cached.exists(), "the bad copy is deleted");
        assertInstanceOf(MultiLayerNetwork.class, model.initPretrained(PretrainedType.MNIST));   // and comes back

        byte[] whole = Files.readAllBytes(cached.toPath());                  // a copy cut off: the checksum names it
        Files.write(cached.toPath(), Arrays.copyOf(whole, whole.length / 2));
        e = assertThrows(IOException.class, () -> model.initPretrained(PretrainedType.MNIST));
        assertTrue(e.getMessage().contains(cached.toString()) && e.getMessage().contains("call initPretrained again"),
                e.getMessage());
        assertFalse(cached.exists(), "the cut copy is deleted");
        UnsupportedOperationException none = assertThrows(UnsupportedOperationException.class,
                () -> RepVgg.builder(RepVgg.Variant.A0).build().initPretrained(PretrainedType.IMAGENET));
        assertTrue(none.getMessage().contains("RepVggConverter"), none.getMessage());
    }
}
