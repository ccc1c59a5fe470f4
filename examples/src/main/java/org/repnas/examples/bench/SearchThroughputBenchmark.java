package org.repnas.examples.bench;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.distributed.ParallelSearch;
import org.repnas.distributed.SparkSearch;
import org.repnas.examples.QuickStart;
import org.repnas.search.RepNas;
import org.repnas.search.SearchConfig;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.zoo.FashionMnistNet;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Search throughput in images per second on FashionMnistNet (all 39 candidate branches, budget 15 + 3 identities,
 * search phase, batch 64 per worker): one network with the search listeners, ParallelWrapper with 2 workers, Spark
 * local[2] with parameter averaging. Each setup trains one epoch to warm up, then one timed epoch.
 *
 * <pre>mvn -B -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.SearchThroughputBenchmark -Dexec.args=2048</pre>
 */
public final class SearchThroughputBenchmark {
    static final int BATCH = 64;

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        DataSet train = QuickStart.loadData(null, images, 100)[0];
        SearchConfig config = SearchConfig.budget(15).epochs(1000).warmupEpochs(0).fixedEpochs(0).seed(1).alphaLearningRate(0.01);
        System.out.printf("%s; %s; %d Fashion-MNIST images, batch %d per worker%n", System.getProperty("os.arch"),
                cpu(), train.numExamples(), BATCH);
        System.out.println("| setup | images/s | vs 1 worker |");
        System.out.println("|---|---|---|");

        MultiLayerNetwork single = network(config, train.numExamples() / BATCH);
        single.setListeners(RepNas.listeners(config));
        ShuffledDataSetIterator it = new ShuffledDataSetIterator(train, BATCH, 1, true);
        single.fit(it);                                                       // warm-up epoch
        long t0 = System.nanoTime();
        single.fit(it);
        double one = train.numExamples() / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("| 1 worker (fit with the search listeners) | %.1f | 1.00 |%n", one);

        MultiLayerNetwork pw = network(config, train.numExamples() / BATCH / 2);
        ParallelSearch.fit(pw, config, it, 1, 2, null);
        t0 = System.nanoTime();
        ParallelSearch.fit(pw, config, it, 1, 2, null);
        double two = train.numExamples() / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("| ParallelWrapper, 2 workers | %.1f | %.2f |%n", two, two / one);

        SparkConf sc = new SparkConf().setMaster("local[2]").setAppName("throughput").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        try (JavaSparkContext jsc = new JavaSparkContext(sc)) {
            MultiLayerNetwork net = network(config, train.numExamples() / BATCH / 2);
            JavaRDD<DataSet> rdd = jsc.parallelize(train.asList(), 2);   // not cached: dl4j-spark persists it itself
            SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, net, SparkSearch.trainingMaster(config, 1, BATCH, 4));
            SparkSearch.fit(spark, config, rdd, 1, null);
            t0 = System.nanoTime();
            SparkSearch.fit(spark, config, rdd, 1, null);
            double spk = train.numExamples() / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("| Spark local[2], parameter averaging every 4 minibatches | %.1f | %.2f |%n", spk, spk / one);
        }
    }

    static MultiLayerNetwork network(SearchConfig config, long batchesPerEpoch) {
        MultiLayerNetwork net = FashionMnistNet.builder().seed(1).build().init();
        RepNas.configure(net, config, Math.max(1, batchesPerEpoch));
        return net;
    }

    static String cpu() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim() + ", " + Runtime.getRuntime().availableProcessors() + " cores";
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores";
    }
}
