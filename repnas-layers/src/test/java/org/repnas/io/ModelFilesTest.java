package org.repnas.io;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Damaged zip files are refused with the file and the damaged entry named. */
class ModelFilesTest {

    /** Three entries of 4,000 bytes each, stored (as np.savez writes them) or deflated (as DL4J writes its models). */
    static Path zip(Path file, boolean stored) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            for (String name : new String[]{"a.npy", "b.npy", "c.npy"}) {
                byte[] data = new byte[4000];
                for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + name.charAt(0));
                ZipEntry e = new ZipEntry(name);
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                    e.setCrc(crc.getValue());
                }
                out.putNextEntry(e);
                out.write(data);
                out.closeEntry();
            }
        }
        return file;
    }

    static int dataStart(byte[] zip, String entry) {
        return ZipBytes.dataStart(zip, entry);
    }

    static void assertNames(IOException e, Path file, String entry) {
        assertTrue(e instanceof ModelFiles.DamagedFileException, e.toString());
        assertEquals(file, ((ModelFiles.DamagedFileException) e).file());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'" + entry + "'")
                && e.getMessage().contains("is damaged"), e.getMessage());
    }

    @Test
    void wholeArchivesPass(@TempDir Path dir) throws Exception {
        ModelFiles.verifyZip(zip(dir.resolve("stored.zip"), true), "test archive");
        ModelFiles.verifyZip(zip(dir.resolve("deflated.zip"), false), "test archive");
    }

    @Test
    void aCutInsideTheLastEntryNamesIt(@TempDir Path dir) throws Exception {
        for (boolean stored : new boolean[]{true, false}) {
            byte[] whole = Files.readAllBytes(zip(dir.resolve("whole.zip"), stored));
            Path cut = dir.resolve("cut-" + stored + ".zip");
            Files.write(cut, Arrays.copyOf(whole, dataStart(whole, "c.npy") + 100));
            IOException e = assertThrows(IOException.class, () -> ModelFiles.verifyZip(cut, "test archive"));
            assertNames(e, cut, "c.npy");
            assertTrue(e.getMessage().contains("cut off"), e.getMessage());
        }
    }

    @Test
    void aCutAfterTheLastEntryNamesTheWholeOnes(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(zip(dir.resolve("whole.zip"), true));
        Path cut = dir.resolve("cut.zip");
        Files.write(cut, Arrays.copyOf(whole, dataStart(whole, "c.npy") + 4000));
        IOException e = assertThrows(IOException.class, () -> ModelFiles.verifyZip(cut, "test archive"));
        assertNames(e, cut, "c.npy");
        assertTrue(e.getMessage().contains("3 entries") && e.getMessage().contains("central directory"), e.getMessage());
    }

    @Test
    void aChangedByteFailsTheEntrysCrc(@TempDir Path dir) throws Exception {
        for (boolean stored : new boolean[]{true, false}) {
            byte[] bytes = Files.readAllBytes(zip(dir.resolve("whole.zip"), stored));
            bytes[dataStart(bytes, "b.npy") + 20] ^= 0x10;
            Path flipped = dir.resolve("flipped-" + stored + ".zip");
            Files.write(flipped, bytes);
            IOException e = assertThrows(IOException.class, () -> ModelFiles.verifyZip(flipped, "test archive"));
            assertNames(e, flipped, "b.npy");
        }
    }

    @Test
    void emptyAndNonZipFilesAreNamed(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.zip"));
        IOException e = assertThrows(IOException.class, () -> ModelFiles.verifyZip(empty, "test archive"));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("empty"), e.getMessage());
        Path text = Files.writeString(dir.resolve("text.zip"), "not a zip");
        e = assertThrows(IOException.class, () -> ModelFiles.verifyZip(text, "test archive"));
        assertTrue(e.getMessage().contains(text.toString()) && e.getMessage().contains("not a zip archive"), e.getMessage());
    }

    @Test
    void aTruncatedModelIsReportedByName(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nIn(8).nOut(3).build())
                .build());
        net.init();
        Path whole = dir.resolve("model.zip");
        ModelSerializer.writeModel(net, whole.toFile(), false);
        assertEquals(net.params(), ModelFiles.restoreMultiLayerNetwork(whole, false).params());
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = dir.resolve("cut.zip");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> ModelFiles.restoreMultiLayerNetwork(cut, false));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("is damaged"), e.getMessage());
        Path empty = Files.createFile(dir.resolve("empty-model.zip"));
        e = assertThrows(IOException.class, () -> ModelFiles.restoreComputationGraph(empty, false));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("empty"), e.getMessage());
    }

}
