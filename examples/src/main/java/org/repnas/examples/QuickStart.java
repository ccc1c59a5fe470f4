package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.examples.data.FashionMnist;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.zoo.FashionMnistNet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The first thing to run: a RepNAS search of a small ODBB network ({@link FashionMnistNet}, 6 blocks, 39 branches) on
 * Fashion-MNIST, then fusion and evaluation. Prints one line per epoch with an ETA, then a table (supernet and fused
 * accuracy, parameters, latency of fused against multi-branch), and writes the architecture (JSON and PNG), the fused
 * model (DL4J zip and SameDiff file) and the search history.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) {
        Flags.run(args, QuickStart::run);
    }

    static Flags flags() {
        return SearchRun.withSearchFlags(new Flags("QuickStart",
                        "RepNAS search of a small ODBB network on Fashion-MNIST, then fusion and evaluation."),
                        "runs/quickstart", "8", "64", "18", "0.05")
                .option("data", "", "folder with Fashion-MNIST IDX files (default: Debian's " + FashionMnist.DEBIAN_DIR
                        + ", else the 5,000 + 1,000 image subset shipped in this jar)")
                .option("train-size", "5000", "training images used (0: all)")
                .option("test-size", "1000", "test images used (0: all)");
    }

    static void run(String[] args) throws IOException {
        Flags f = flags().parse(args);
        DataSet[] data = loadData(f.path("data"), f.integer("train-size"), f.integer("test-size"));
        System.out.printf("Fashion-MNIST: %d training and %d test images; budget %d of the network's 39 branches%n",
                data[0].numExamples(), data[1].numExamples(), f.integer("budget"));
        SearchRun.run(f, SearchRun.config(f, "FashionMnistNet"),
                () -> FashionMnistNet.builder().seed(f.integer("seed")).build().init(),
                EpochDataSource.shuffled(data[0], f.integer("batch"), f.integer("seed")),
                new ShuffledDataSetIterator(data[1], 250, 0, false), data[1]);
    }

    /** --data, else Debian's files, else the subset shipped in the jar. */
    public static DataSet[] loadData(Path dir, int trainSize, int testSize) throws IOException {
        if (dir != null) {
            return new DataSet[]{FashionMnist.load(dir, FashionMnist.Split.TRAIN, trainSize),
                    FashionMnist.load(dir, FashionMnist.Split.TEST, testSize)};
        }
        Optional<Path> installed = FashionMnist.findInstalled();
        if (installed.isPresent()) {
            return loadData(installed.get(), trainSize, testSize);
        }
        System.out.println("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): using the subset "
                + "shipped in this jar");
        return new DataSet[]{shipped(FashionMnist.Split.TRAIN, trainSize), shipped(FashionMnist.Split.TEST, testSize)};
    }

    static DataSet shipped(FashionMnist.Split split, int limit) throws IOException {
        String base = "/fashion-mnist-subset/";
        try (InputStream im = open(base + FashionMnist.imagesName(split) + ".gz");
             InputStream lb = open(base + FashionMnist.labelsName(split) + ".gz")) {
            return FashionMnist.read(new GZIPInputStream(im), FashionMnist.imagesName(split),
                    new GZIPInputStream(lb), FashionMnist.labelsName(split), limit);
        }
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = QuickStart.class.getResourceAsStream(resource);
        if (in == null) throw new IOException("the jar has no " + resource + ": rebuild the examples module");
        return in;
    }
}
