package org.repnas.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Fashion-MNIST from its IDX files ({@code train-images-idx3-ubyte.gz}, {@code train-labels-idx1-ubyte.gz},
 * {@code t10k-...}; gzipped or not), as Debian's {@code dataset-fashion-mnist} package installs them under
 * {@link #DEBIAN_DIR}. Images become NCHW {@code [n, 1, 28, 28]} floats in [0, 1]; labels one-hot {@code [n, 10]}.
 */
public final class FashionMnist {
    /** Where Debian's dataset-fashion-mnist package puts the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int HEIGHT = 28;
    public static final int WIDTH = 28;
    public static final int CLASSES = 10;
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    /** The training (60,000 images) or test (10,000 images) split; its files start with the prefix. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        public final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private FashionMnist() {
    }

    /** The Debian package's folder, if it holds the files. */
    public static Optional<Path> findInstalled() {
        return hasFiles(DEBIAN_DIR) ? Optional.of(DEBIAN_DIR) : Optional.empty();
    }

    /** True when {@code dir} holds both splits' images and labels (gzipped or not). */
    public static boolean hasFiles(Path dir) {
        for (Split s : Split.values()) {
            if (find(dir, imagesName(s)).isEmpty() || find(dir, labelsName(s)).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    public static String imagesName(Split s) {
        return s.prefix + "-images-idx3-ubyte";
    }

    public static String labelsName(Split s) {
        return s.prefix + "-labels-idx1-ubyte";
    }

    /**
     * Loads the first {@code limit} examples of a split (all when {@code limit <= 0}).
     *
     * @throws IdxFormatException a file is missing, corrupt, truncated or of the wrong kind; the message names it
     */
    public static DataSet load(Path dir, Split split, int limit) throws IOException {
        Path images = require(dir, imagesName(split));
        Path labels = require(dir, labelsName(split));
        try (InputStream im = open(images); InputStream lb = open(labels)) {
            return read(im, images.toString(), lb, labels.toString(), limit);
        }
    }

    /** As {@link #load}, from streams (e.g. class-path resources); {@code name}s are used in error messages. */
    public static DataSet read(InputStream images, String imagesName, InputStream labels, String labelsName, int limit)
            throws IOException {
        DataInputStream im = new DataInputStream(new BufferedInputStream(images, 1 << 16));
        DataInputStream lb = new DataInputStream(new BufferedInputStream(labels, 1 << 16));
        int n = header(im, imagesName, IMAGES_MAGIC, "images (idx3)");
        int rows = header(im, imagesName);
        int cols = header(im, imagesName);
        if (rows != HEIGHT || cols != WIDTH) {
            throw new IdxFormatException(imagesName + ": images are " + rows + "x" + cols + ", expected 28x28 (Fashion-MNIST).");
        }
        int nl = header(lb, labelsName, LABELS_MAGIC, "labels (idx1)");
        if (n != nl) {
            throw new IdxFormatException(imagesName + " holds " + n + " images but " + labelsName + " holds " + nl
                    + " labels: the two files belong to different splits or datasets.");
        }
        int count = limit > 0 ? Math.min(limit, n) : n;
        byte[] pixels = new byte[count * rows * cols];
        byte[] classes = new byte[count];
        readFully(im, pixels, imagesName, n + " images of " + rows + "x" + cols + " pixels", 16);
        readFully(lb, classes, labelsName, n + " labels", 8);
        float[] features = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            features[i] = (pixels[i] & 0xFF) / 255f;
        }
        INDArray labelArr = Nd4j.zeros(DataType.FLOAT, count, CLASSES);
        for (int i = 0; i < count; i++) {
            int c = classes[i] & 0xFF;
            if (c >= CLASSES) {
                throw new IdxFormatException(labelsName + ": label " + c + " at index " + i + " is not a Fashion-MNIST class (0-9).");
            }
            labelArr.putScalar(i, c, 1f);
        }
        INDArray featureArr = Nd4j.create(features, new long[]{count, 1, rows, cols}, DataType.FLOAT);
        return new DataSet(featureArr, labelArr);
    }

    private static int header(DataInputStream in, String name, int magic, String kind) throws IOException {
        int m;
        try {
            m = in.readInt();
        } catch (ZipException e) {
            throw new IdxFormatException(name + " is not a valid gzip file (" + e.getMessage() + "): re-download or re-install it.", e);
        } catch (EOFException e) {
            throw new IdxFormatException(name + " is empty or shorter than an IDX header.", e);
        }
        if (m != magic) {
            throw new IdxFormatException(String.format("%s is not an IDX %s file: magic number 0x%08X, expected 0x%08X. "
                    + "Check that the images and labels files are not swapped or corrupt.", name, kind, m, magic));
        }
        return header(in, name);
    }

    private static int header(DataInputStream in, String name) throws IOException {
        try {
            int v = in.readInt();
            if (v < 0) {
                throw new IdxFormatException(name + ": negative size " + v + " in the IDX header.");
            }
            return v;
        } catch (EOFException e) {
            throw new IdxFormatException(name + " ends inside its IDX header: the file is truncated.", e);
        }
    }

    private static void readFully(DataInputStream in, byte[] into, String name, String promised, int headerBytes) throws IOException {
        int off = 0;
        try {
            while (off < into.length) {
                int r = in.read(into, off, into.length - off);
                if (r < 0) {
                    throw new IdxFormatException(name + " is truncated: its header promises " + promised + " but the data ends after "
                            + off + " of the " + into.length + " bytes needed (after the " + headerBytes + "-byte header).");
                }
                off += r;
            }
        } catch (ZipException | EOFException e) {
            throw new IdxFormatException(name + " is corrupt or truncated after " + off + " data bytes: " + e.getMessage(), e);
        }
    }

    private static Path require(Path dir, String base) throws IdxFormatException {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IdxFormatException("Fashion-MNIST folder " + dir + " does not exist. Install Debian's package "
                    + "(apt-get install dataset-fashion-mnist, files in " + DEBIAN_DIR + ") or point to a folder holding "
                    + "train-/t10k- images-idx3-ubyte and labels-idx1-ubyte files (.gz or not).");
        }
        return find(dir, base).orElseThrow(() -> new IdxFormatException("Fashion-MNIST file " + base + ".gz (or "
                + base + ") is missing in " + dir + ". Expected the four IDX files of Fashion-MNIST there (Debian: apt-get "
                + "install dataset-fashion-mnist, which installs them in " + DEBIAN_DIR + ")."));
    }

    private static Optional<Path> find(Path dir, String base) {
        for (String name : new String[]{base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static InputStream open(Path p) throws IOException {
        InputStream raw = Files.newInputStream(p);
        if (!p.getFileName().toString().endsWith(".gz")) {
            return raw;
        }
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (ZipException | EOFException e) {
            raw.close();
            throw new IdxFormatException(p + " is not a valid gzip file (" + e.getMessage() + "): re-download or re-install it.", e);
        }
    }
}
