package org.repnas.examples;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.repnas.io.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.repnas.layers.Architecture;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every main, end to end, for one short epoch on tiny data in the real formats; bad data leaves old outputs alone. */
class ExampleMainsTest {

    static void assertOutputsLoad(Path out, int blocks) throws Exception {
        Architecture a = Architecture.read(out.resolve("architecture.json"));
        assertEquals(blocks, a.blocks().size());
        assertNotNull(ImageIO.read(out.resolve("architecture.png").toFile()));
        MultiLayerNetwork fused = ModelFiles.restoreMultiLayerNetwork(out.resolve("fused-model.zip"), false);   // whole, every CRC
        assertTrue(fused.numParams() > 0);
        assertNotNull(SameDiff.load(out.resolve("fused-model.sd").toFile(), false));
        assertTrue(Files.exists(out.resolve("search/history.json")));
    }

    static String digest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String f : new String[]{"architecture.json", "architecture.png", "fused-model.zip", "fused-model.sd"}) {
            md.update(Files.readAllBytes(dir.resolve(f)));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void quickStartOnIdxFiles(@TempDir Path dir) throws Exception {
        Path data = TinyData.fashionIdx(dir.resolve("fmnist"), 96, 32, 0x803);
        Path out = dir.resolve("out");
        QuickStart.run(new String[]{"--data", data.toString(), "--out", out.toString(), "--epochs", "1", "--fixed-epochs", "1",
                "--batch", "32", "--budget", "10"});
        assertOutputsLoad(out, 6);

        // a wrong magic number: a clear error, and the previous outputs stay as they were
        String before = digest(out);
        Path bad = TinyData.fashionIdx(dir.resolve("bad"), 16, 8, 0x1234);
        IOException e = assertThrows(IOException.class, () -> QuickStart.run(new String[]{"--data", bad.toString(),
                "--out", out.toString(), "--epochs", "1"}));
        assertTrue(e.getMessage().contains("magic number 0x00001234, expected 0x00000803"), e.getMessage());
        assertEquals(before, digest(out));
    }

    @Test
    void cifar10OnBinaryFiles(@TempDir Path dir) throws Exception {
        Path data = TinyData.cifarBinary(dir.resolve("cifar"), 24, 8, 0);
        Path out = dir.resolve("out");
        Cifar10Search.run(new String[]{"--data", data.toString(), "--out", out.toString(), "--epochs", "1", "--fixed-epochs", "1",
                "--batch", "12", "--preset", "DBB"});
        assertOutputsLoad(out, 13);

        String before = digest(out);
        Path truncated = TinyData.cifarBinary(dir.resolve("truncated"), 10, 4, 100);
        IOException e = assertThrows(IOException.class, () -> Cifar10Search.run(new String[]{"--data", truncated.toString(),
                "--out", out.toString(), "--epochs", "1"}));
        assertTrue(e.getMessage().contains("data_batch_1.bin") && e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(before, digest(out));
    }

    @Test
    void imageNetOnAFolderTree(@TempDir Path dir) throws Exception {
        Path data = TinyData.imageTree(dir.resolve("images"), new String[]{"cat", "dog"}, 3, null);
        Path out = dir.resolve("out");
        ImageNetSearch.run(new String[]{"--data", data.toString(), "--out", out.toString(), "--model", "A0", "--image-size", "32",
                "--epochs", "1", "--fixed-epochs", "1", "--batch", "3", "--eval-batches", "1"});
        assertOutputsLoad(out, 22);

        String before = digest(out);
        Path empty = TinyData.imageTree(dir.resolve("empty"), new String[]{"cat", "dog"}, 2, "dog");
        IOException e = assertThrows(IOException.class, () -> ImageNetSearch.run(new String[]{"--data", empty.toString(),
                "--out", out.toString(), "--epochs", "1"}));
        assertTrue(e.getMessage().contains("train/dog") && e.getMessage().contains("holds no image"), e.getMessage());
        assertEquals(before, digest(out));
    }

    /** Runs a main as its {@code main} would; returns exit code, standard output and standard error. */
    static String[] execute(java.util.concurrent.Callable<Integer> main, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Cli.execute(main, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[]{String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void helpAndBadFlags(@TempDir Path dir) {
        String[] help = execute(new Cifar10Search(), "--help");
        assertEquals("0", help[0]);
        assertTrue(Pattern.compile("(?s)\\n\\s+--epochs=N((?!\\n\\s+--).)*Default: 600").matcher(help[1]).find(), help[1]);

        String[] unknown = execute(new QuickStart(), "--epoch", "3");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("Unknown option") && unknown[2].contains("'--epoch'") && unknown[2].contains("--epochs"), unknown[2]);

        String[] missing = execute(new Cifar10Search());
        assertEquals("2", missing[0]);
        assertTrue(missing[2].contains("Missing required option") && missing[2].contains("--data"), missing[2]);

        String[] badEnum = execute(new Cifar10Search(), "--data", dir.toString(), "--preset", "DBX");
        assertEquals("2", badEnum[0]);
        assertTrue(badEnum[2].contains("DBX") && badEnum[2].contains("PLAIN, REPVGG, ACB, DBB, ALL"), badEnum[2]);
        String[] badModel = execute(new ImageNetSearch(), "--data", dir.toString(), "--model", "C7");
        assertTrue(badModel[0].equals("2") && badModel[2].contains("A0, A1, A2, B0, B1, B2, B3"), badModel[2]);
        String[] notANumber = execute(new QuickStart(), "--lr", "fast");
        assertTrue(notANumber[0].equals("2") && notANumber[2].contains("'fast'") && notANumber[2].contains("--lr"),
                notANumber[2]);

        // bad input found while running: the message, exit code 2, no stack trace
        String[] noFolder = execute(new Cifar10Search(), "--data", dir.resolve("nowhere").toString());
        assertEquals("2", noFolder[0]);
        assertTrue(noFolder[2].startsWith("error: CIFAR-10 folder") && !noFolder[2].contains("\tat "), noFolder[2]);
    }
}
