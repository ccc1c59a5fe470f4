package org.repnas.examples;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Tiny data sets in the real file formats, made by the tests. */
final class TinyData {
    private TinyData() {
    }

    /** Fashion-MNIST IDX files (gzipped) with n training and m test images of random pixels. */
    static Path fashionIdx(Path dir, int n, int m, int imagesMagic) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(1);
        for (String[] split : new String[][]{{"train", "" + n}, {"t10k", "" + m}}) {
            int count = Integer.parseInt(split[1]);
            try (DataOutputStream out = new DataOutputStream(gz(dir.resolve(split[0] + "-images-idx3-ubyte.gz")))) {
                out.writeInt(imagesMagic);
                out.writeInt(count);
                out.writeInt(28);
                out.writeInt(28);
                byte[] px = new byte[count * 784];
                r.nextBytes(px);
                out.write(px);
            }
            try (DataOutputStream out = new DataOutputStream(gz(dir.resolve(split[0] + "-labels-idx1-ubyte.gz")))) {
                out.writeInt(0x801);
                out.writeInt(count);
                for (int i = 0; i < count; i++) out.writeByte(i % 10);
            }
        }
        return dir;
    }

    private static OutputStream gz(Path p) throws IOException {
        return new GZIPOutputStream(Files.newOutputStream(p));
    }

    /** CIFAR-10 binary files: data_batch_1.bin with n records, test_batch.bin with m; truncate cuts bytes off the end. */
    static Path cifarBinary(Path dir, int n, int m, int truncate) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(2);
        for (String[] f : new String[][]{{"data_batch_1.bin", "" + n}, {"test_batch.bin", "" + m}}) {
            int count = Integer.parseInt(f[1]);
            byte[] b = new byte[count * 3073];
            r.nextBytes(b);
            for (int i = 0; i < count; i++) b[i * 3073] = (byte) (i % 10);
            int len = f[0].startsWith("data") ? b.length - truncate : b.length;
            Files.write(dir.resolve(f[0]), java.util.Arrays.copyOf(b, len));
        }
        return dir;
    }

    /** train/ and val/ with the given classes, k PNGs each (16x16 random pixels); emptyClass gets no image in train. */
    static Path imageTree(Path dir, String[] classes, int k, String emptyClass) throws IOException {
        Random r = new Random(3);
        for (String split : new String[]{"train", "val"}) {
            for (String c : classes) {
                Path cd = dir.resolve(split).resolve(c);
                Files.createDirectories(cd);
                if (c.equals(emptyClass) && split.equals("train")) continue;
                for (int i = 0; i < k; i++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) img.setRGB(x, y, r.nextInt(0xFFFFFF));
                    ImageIO.write(img, "png", cd.resolve(c + "_" + i + ".png").toFile());
                }
            }
        }
        return dir;
    }
}
