package org.repnas.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10's binary distribution ({@code cifar-10-batches-bin}: {@code data_batch_1.bin} ... {@code data_batch_5.bin},
 * {@code test_batch.bin}); each record is 1 label byte and 3072 pixel bytes (R, G, B planes of 32x32). Images become
 * NCHW floats normalized with the CIFAR-10 channel means and deviations; labels one-hot [n, 10].
 */
public final class Cifar10Binary {
    public static final int RECORD = 1 + 3 * 32 * 32;
    static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
    static final float[] STD = {0.2470f, 0.2435f, 0.2616f};

    private Cifar10Binary() {
    }

    /** The training split (every data_batch_*.bin) or the test split (test_batch.bin) of {@code dir}. */
    public static DataSet load(Path dir, boolean train, int limit) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("CIFAR-10 folder " + dir + " does not exist: pass --data pointing to the extracted "
                    + "cifar-10-batches-bin folder (data_batch_1.bin ... data_batch_5.bin, test_batch.bin).");
        }
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int i = 1; i <= 5; i++) {
                Path p = dir.resolve("data_batch_" + i + ".bin");
                if (Files.exists(p)) files.add(p);
            }
            if (files.isEmpty()) {
                throw new IOException("No data_batch_*.bin in " + dir + ": expected CIFAR-10's binary distribution "
                        + "(cifar-10-batches-bin), not the python or matlab one.");
            }
        } else {
            Path p = dir.resolve("test_batch.bin");
            if (!Files.exists(p)) {
                throw new IOException("test_batch.bin is missing in " + dir + ": expected CIFAR-10's binary distribution.");
            }
            files.add(p);
        }
        List<byte[]> records = new ArrayList<>();
        for (Path f : files) {
            byte[] all = Files.readAllBytes(f);
            if (all.length == 0 || all.length % RECORD != 0) {
                throw new IOException(f + " has " + all.length + " bytes, not a whole number of " + RECORD
                        + "-byte CIFAR-10 records (1 label + 3072 pixels): the file is truncated or not CIFAR-10 binary.");
            }
            for (int off = 0; off < all.length && (limit <= 0 || records.size() < limit); off += RECORD) {
                byte[] r = new byte[RECORD];
                System.arraycopy(all, off, r, 0, RECORD);
                if ((r[0] & 0xFF) > 9) {
                    throw new IOException(f + ": record " + off / RECORD + " has label " + (r[0] & 0xFF) + ", not 0-9.");
                }
                records.add(r);
            }
        }
        int n = records.size();
        float[] pixels = new float[n * 3072];
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 10);
        for (int i = 0; i < n; i++) {
            byte[] r = records.get(i);
            labels.putScalar(i, r[0] & 0xFF, 1f);
            for (int j = 0; j < 3072; j++) {
                int c = j / 1024;
                pixels[i * 3072 + j] = normalize((r[1 + j] & 0xFF) / 255f, c);
            }
        }
        return new DataSet(Nd4j.create(pixels, new long[]{n, 3, 32, 32}, DataType.FLOAT), labels);
    }

    /** A pixel value in [0, 1] of channel {@code c} (R, G, B), normalized as this reader returns it. */
    public static float normalize(float value, int c) {
        return (value - MEAN[c]) / STD[c];
    }

    /** A black pixel (0 in every channel) as this reader returns it: what padding must fill in, per channel. */
    public static float[] normalizedBlack() {
        return new float[]{normalize(0, 0), normalize(0, 1), normalize(0, 2)};
    }
}
