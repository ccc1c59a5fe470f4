package org.repnas.layers;

import org.deeplearning4j.datasets.mnist.MnistManager;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * Real Fashion-MNIST for the library modules' tests, from Debian's {@code dataset-fashion-mnist} (which {@code .ci/run}
 * installs), read with DL4J's own IDX reader ({@link MnistManager}). The examples module has the user-facing reader
 * with its error messages; tests only need the data.
 */
public final class FashionMnistFixture {
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int CLASSES = 10;

    private FashionMnistFixture() {
    }

    /** The first {@code limit} images (0: all) of the training or test split, pixels in [0, 1], shape [n, 1, 28, 28]. */
    public static DataSet load(boolean train, int limit) throws IOException {
        String prefix = train ? "train" : "t10k";
        Path images = gunzipped(prefix + "-images-idx3-ubyte");
        Path labels = gunzipped(prefix + "-labels-idx1-ubyte");
        MnistManager m = new MnistManager(images.toString(), labels.toString(), train);
        try {
            int available = m.getLabels().getCount();
            int n = limit <= 0 ? available : Math.min(limit, available);
            float[] x = new float[n * 28 * 28];
            INDArray y = Nd4j.zeros(DataType.FLOAT, n, CLASSES);
            for (int i = 0; i < n; i++) {
                byte[] pixels = m.readImageUnsafe(i);
                for (int p = 0; p < 28 * 28; p++) x[i * 28 * 28 + p] = (pixels[p] & 0xff) / 255f;
                y.putScalar(i, m.readLabel(i), 1f);
            }
            return new DataSet(Nd4j.create(x, new long[]{n, 1, 28, 28}), y);
        } finally {
            m.close();
        }
    }

    /** DL4J's reader wants plain IDX files: Debian ships them gzipped. */
    private static synchronized Path gunzipped(String name) throws IOException {
        Path gz = DEBIAN_DIR.resolve(name + ".gz");
        if (!Files.isRegularFile(gz)) {
            throw new IOException(gz + " not found: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "repnas-fashion-mnist-" + Files.size(gz));
        Path out = dir.resolve(name);
        if (!Files.exists(out)) {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        }
        return out;
    }
}
