package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.examples.data.FashionMnist;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.search.IdentityMode;
import org.repnas.zoo.FashionMnistNet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;

/**
 * The first thing to run: a RepNAS search of a small ODBB network ({@link FashionMnistNet}, 6 blocks, 39 branches) on
 * Fashion-MNIST, then fusion and evaluation. Prints one line per epoch with an ETA, then a table (supernet and fused
 * accuracy, parameters, latency of fused against multi-branch), and writes the architecture (JSON and PNG), the fused
 * model (DL4J zip and SameDiff file) and the search history.
 */
@Command(name = "QuickStart", showDefaultValues = true, sortOptions = false,
        description = "RepNAS search of a small ODBB network on Fashion-MNIST, then fusion and evaluation.")
public final class QuickStart implements Callable<Integer> {
    @Mixin
    SearchOptions search = new SearchOptions("runs/quickstart", 8, 64, 15, 0.05);

    @Option(names = "--data", paramLabel = "DIR", description = "folder with Fashion-MNIST IDX files (default: Debian's "
            + "/usr/share/datasets/fashion-mnist, else the 5,000 + 1,000 image subset shipped in this jar)")
    Path data;

    @Option(names = "--train-size", paramLabel = "N", description = "training images used (0: all)")
    int trainSize = 5000;

    @Option(names = "--test-size", paramLabel = "N", description = "test images used (0: all)")
    int testSize = 1000;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    public static void main(String[] args) {
        Cli.main(new QuickStart(), args);
    }

    /** Runs with these flags, every failure thrown (for tests). */
    static void run(String... args) throws Exception {
        Cli.run(new QuickStart(), args);
    }

    @Override
    public Integer call() throws IOException {
        DataSet[] sets = loadData(data, trainSize, testSize);
        System.out.printf("Fashion-MNIST: %d training and %d test images; budget %d of the network's %s%n",
                sets[0].numExamples(), sets[1].numExamples(), search.budget,
                search.identity == IdentityMode.ALWAYS_ON ? "36 searchable branches (plus its 3 identity branches, always on)"
                        : "39 branches");
        SearchRun.run(search, search.config("FashionMnistNet"),
                () -> FashionMnistNet.builder().seed(search.seed).build().init(),
                EpochDataSource.shuffled(sets[0], search.batch, search.seed),
                new ShuffledDataSetIterator(sets[1], 250, 0, false), sets[1]);
        return 0;
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
