package org.repnas.examples;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.data.EpochDataSource;
import org.repnas.data.FashionMnist;
import org.repnas.data.ShuffledDataSetIterator;
import org.repnas.search.Architecture;
import org.repnas.search.RepNasSearch;
import org.repnas.search.SearchConfig;
import org.repnas.zoo.FashionMnistNet;
import org.repnas.zoo.NetworkFuser;
import org.repnas.zoo.SameDiffExport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The first thing to run: a RepNAS search of a small ODBB network on Fashion-MNIST, then fusion and evaluation.
 * Prints one line per epoch (with an ETA), then a table: supernet and fused accuracy, parameters, fused against
 * multi-branch latency. Writes the architecture (JSON and PNG), the fused model (DL4J zip and SameDiff) and the history.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) {
        Flags.run(args, QuickStart::run);
    }

    static Flags flags() {
        return new Flags("QuickStart", "RepNAS search of a small ODBB network on Fashion-MNIST, then fusion and evaluation.")
                .option("data", "", "folder with Fashion-MNIST IDX files (default: Debian's " + FashionMnist.DEBIAN_DIR
                        + ", else the subset shipped in this jar)")
                .option("out", "runs/quickstart", "output folder")
                .option("epochs", "8", "epochs (warm-up 30%, fixed last 10%)")
                .option("budget", "18", "branch budget C (RepVGG's 3 per block; the network has 39 branches)")
                .option("train-size", "5000", "training images used (0: all)")
                .option("test-size", "1000", "test images used (0: all)")
                .option("batch", "64", "minibatch size")
                .option("lr", "0.05", "initial learning rate (cosine decay)")
                .option("seed", "42", "random seed")
                .flag("resume", "continue the search checkpointed in --out");
    }

    static void run(String[] args) throws IOException {
        Flags f = flags().parse(args);
        Path out = f.path("out");
        DataSet[] data = loadData(f.path("data"), f.integer("train-size"), f.integer("test-size"));
        DataSet train = data[0];
        DataSet test = data[1];
        System.out.printf("Fashion-MNIST: %d training and %d test images%n", train.numExamples(), test.numExamples());

        SearchConfig config = SearchConfig.budget(f.integer("budget")).epochs(f.integer("epochs")).seed(f.integer("seed"))
                .learningRate(f.number("lr")).modelName("FashionMnistNet");
        EpochDataSource trainSource = EpochDataSource.shuffled(train, f.integer("batch"), f.integer("seed"));
        ShuffledDataSetIterator testIt = new ShuffledDataSetIterator(test, 256, 0, false);
        Path checkpoints = out.resolve("search");
        RepNasSearch.Result result;
        long start = System.nanoTime();
        if (f.bool("resume")) {
            result = RepNasSearch.resume(checkpoints, trainSource, testIt, System.out);
        } else {
            MultiLayerNetwork supernet = FashionMnistNet.builder().seed(f.integer("seed")).build().init();
            result = RepNasSearch.create(config, checkpoints, System.out).run(supernet, trainSource, testIt);
        }
        double searchSeconds = (System.nanoTime() - start) / 1e9;

        MultiLayerNetwork supernet = (MultiLayerNetwork) result.model();
        MultiLayerNetwork fused = NetworkFuser.fuse(supernet);
        SameDiff sd = SameDiffExport.fromNetwork(supernet);
        Report report = Report.of(supernet, fused, sd, test);

        Files.createDirectories(out);
        result.architecture().write(out.resolve("architecture.json"));
        ArchitecturePicture.write(result.architecture(), out.resolve("architecture.png"));
        writeModel(fused, out.resolve("fused-model.zip"));
        Path sdFile = out.resolve("fused-model.sd");
        Path sdTmp = Files.createTempFile(out, "fused-model", ".sd.tmp");
        SameDiffExport.save(sd, sdTmp.toFile());
        Files.move(sdTmp, sdFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        System.out.println();
        System.out.printf("search + training: %s; architecture: %d branches kept of %d%n", String.format("%.1f min", searchSeconds / 60),
                result.architecture().keptCount(), 39);
        System.out.print(report.table());
        System.out.println("wrote " + out.resolve("architecture.json") + ", architecture.png, fused-model.zip, fused-model.sd, "
                + checkpoints.resolve("history.json"));
    }

    /** Debian's files, or --data, or the subset shipped in the jar. */
    static DataSet[] loadData(Path dir, int trainSize, int testSize) throws IOException {
        if (dir != null) {
            return new DataSet[]{FashionMnist.load(dir, FashionMnist.Split.TRAIN, trainSize),
                    FashionMnist.load(dir, FashionMnist.Split.TEST, testSize)};
        }
        Optional<Path> installed = FashionMnist.findInstalled();
        if (installed.isPresent()) {
            return loadData(installed.get(), trainSize, testSize);
        }
        System.out.println("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): using the "
                + "subset shipped in this jar");
        return new DataSet[]{shipped(FashionMnist.Split.TRAIN, trainSize), shipped(FashionMnist.Split.TEST, testSize)};
    }

    static DataSet shipped(FashionMnist.Split split, int limit) throws IOException {
        String base = "/fashion-mnist-subset/";
        try (InputStream im = open(base + FashionMnist.imagesName(split) + ".gz");
             InputStream lb = open(base + FashionMnist.labelsName(split) + ".gz")) {
            return FashionMnist.read(new java.util.zip.GZIPInputStream(im), FashionMnist.imagesName(split),
                    new java.util.zip.GZIPInputStream(lb), FashionMnist.labelsName(split), limit);
        }
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = QuickStart.class.getResourceAsStream(resource);
        if (in == null) throw new IOException("the jar has no " + resource + ": rebuild the examples module");
        return in;
    }

    static void writeModel(Model net, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        ModelSerializer.writeModel(net, tmp.toFile(), false);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Accuracy, parameters and latency of the supernet (final architecture) against its fused forms. */
    record Report(double supernetAccuracy, double fusedAccuracy, double sameDiffAccuracy, long identicalPredictions,
                  long examples, long supernetParams, long fusedParams, double multiBranchMs, double fusedMs,
                  double sameDiffMs) {

        static Report of(MultiLayerNetwork supernet, MultiLayerNetwork fused, SameDiff sd, DataSet test) {
            INDArray x = test.getFeatures();
            INDArray a = supernet.output(x, false);
            INDArray b = fused.output(x, false);
            INDArray c = SameDiffExport.output(sd, x);
            Evaluation ea = new Evaluation(), eb = new Evaluation(), ec = new Evaluation();
            ea.eval(test.getLabels(), a);
            eb.eval(test.getLabels(), b);
            ec.eval(test.getLabels(), c);
            long same = a.argMax(1).eq(b.argMax(1)).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
            INDArray batch = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, Math.min(64, x.size(0))));
            return new Report(ea.accuracy(), eb.accuracy(), ec.accuracy(), same, x.size(0), supernet.numParams(),
                    fused.numParams(), Timing.medianMs(() -> supernet.output(batch, false)),
                    Timing.medianMs(() -> fused.output(batch, false)), Timing.medianMs(() -> SameDiffExport.output(sd, batch)));
        }

        String table() {
            return String.format("""
                    | network                         | test accuracy | parameters | latency, batch 64 |
                    |---------------------------------|---------------|------------|-------------------|
                    | supernet, final architecture    | %13.4f | %10d | %14.1f ms |
                    | fused, plain DL4J layers        | %13.4f | %10d | %14.1f ms |
                    | fused, SameDiff graph           | %13.4f | %10d | %14.1f ms |
                    fused predictions identical to the supernet's on %d of %d test images
                    """, supernetAccuracy, supernetParams, multiBranchMs, fusedAccuracy, fusedParams, fusedMs,
                    sameDiffAccuracy, fusedParams, sameDiffMs, identicalPredictions, examples);
        }
    }
}
