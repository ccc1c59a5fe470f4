package org.repnas.examples.distributed;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.examples.QuickStart;
import org.repnas.io.AtomicFiles;
import org.repnas.layers.Architecture;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.distributed.SparkSearch;
import org.repnas.search.RepNas;
import org.repnas.search.SearchConfig;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.zoo.FashionMnistNet;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A RepNAS search of FashionMnistNet on Spark (dl4j-spark parameter averaging; {@link SparkSearch}): the driver reads
 * Fashion-MNIST, the executors train, the driver fixes the architecture, fuses and writes the fused model. On one
 * machine {@code --master local[2]}; on a cluster through spark-submit (README, "Distributed search").
 */
@Command(name = "SparkFashionSearch", mixinStandardHelpOptions = true, sortOptions = false,
        description = "RepNAS search of FashionMnistNet on Spark, then fusion.")
public final class SparkFashionSearch implements Callable<Integer> {
    @Option(names = "--master", description = "Spark master; default: the one spark-submit sets, else local[2]")
    String master;
    @Option(names = "--data", description = "folder with Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)")
    Path data;
    @Option(names = "--train-size", defaultValue = "10000", description = "training images (0: all; default ${DEFAULT-VALUE})")
    int trainSize;
    @Option(names = "--test-size", defaultValue = "0", description = "test images (0: all; default ${DEFAULT-VALUE})")
    int testSize;
    @Option(names = "--epochs", defaultValue = "6", description = "epochs (default ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--budget", defaultValue = "15", description = "branches kept besides the always-on identities "
            + "(default ${DEFAULT-VALUE})")
    int budget;
    @Option(names = "--batch-per-worker", defaultValue = "32", description = "minibatch size on each executor (default ${DEFAULT-VALUE})")
    int batchPerWorker;
    @Option(names = "--averaging-frequency", defaultValue = "4", description = "minibatches between parameter averagings "
            + "(default ${DEFAULT-VALUE})")
    int averagingFrequency;
    @Option(names = "--lr", defaultValue = "0.05", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seed", defaultValue = "42", description = "seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--out", defaultValue = "runs/spark", description = "where architecture.json and fused-model.zip go "
            + "(default ${DEFAULT-VALUE})")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkFashionSearch()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        DataSet[] d = QuickStart.loadData(data, trainSize, testSize);
        SparkConf conf = new SparkConf().setAppName("RepNAS FashionMnistNet search");
        if (master != null) conf.setMaster(master);
        else if (!conf.contains("spark.master")) conf.setMaster("local[2]");
        SearchConfig config = SearchConfig.budget(budget).epochs(epochs).seed(seed).configureOptimizer(true).learningRate(lr)
                .modelName("FashionMnistNet (Spark)");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            int workers = sc.defaultParallelism();
            MultiLayerNetwork net = FashionMnistNet.builder().seed(seed).build().init();
            // each worker sees 1 / workers of the data: an epoch has that many iterations on the driver's counter
            long batchesPerEpoch = Math.max(1, d[0].numExamples() / ((long) batchPerWorker * workers));
            RepNas.configure(net, config, batchesPerEpoch);
            JavaRDD<DataSet> rdd = sc.parallelize(d[0].asList(), workers);
            SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, net,
                    SparkSearch.trainingMaster(config, 1, batchPerWorker, averagingFrequency));
            System.out.printf("Spark %s, %d workers; %d training images, %s%n", sc.version(), workers, d[0].numExamples(), config);
            SparkSearch.fit(spark, config, rdd, epochs, e -> System.out.printf("epoch %d/%d done, loss %.4f%n", e + 1, epochs,
                    spark.getScore()));
            Architecture arch = RepNas.finish(net, config, new ShuffledDataSetIterator(d[0], 64, seed, false));
            MultiLayerNetwork fused = NetworkFuser.fuse(net);
            Evaluation ev = fused.evaluate(new ShuffledDataSetIterator(d[1], 500, 0, false));
            arch.write(out.resolve("architecture.json"));
            AtomicFiles.write(out.resolve("fused-model.zip"), tmp -> ModelSerializer.writeModel(fused, tmp.toFile(), false));
            System.out.printf("fused network: test accuracy %.4f, %d branches kept; wrote %s%n", ev.accuracy(),
                    arch.keptCount(), out);
        }
        return 0;
    }
}
