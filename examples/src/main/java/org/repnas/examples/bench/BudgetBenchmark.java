package org.repnas.examples.bench;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.examples.Timing;
import org.repnas.layers.Architecture;
import org.repnas.search.RandomSearch;
import org.repnas.zoo.FashionMnistNet;

import java.util.Random;

/**
 * Switched-off branches cost nothing: a training step of a network of ALL blocks with C branches kept, against the
 * same network built with only those branches, and against all branches on. FashionMnistNet (6 blocks, 39 branches),
 * C = 18, batch 64 of 28x28 images.
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.BudgetBenchmark</pre>
 */
public final class BudgetBenchmark {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int budget = args.length > 1 ? Integer.parseInt(args[1]) : 18;
        Nd4j.getRandom().setSeed(1);
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 64, 1, 28, 28), Nd4j.eye(10).repeat(0, 7).get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 64)).castTo(DataType.FLOAT));

        MultiLayerNetwork supernet = FashionMnistNet.builder().seed(1).build().init();
        Architecture arch = RandomSearch.sample(supernet, budget, new Random(5), "FashionMnistNet");
        arch.applyTo(supernet);
        MultiLayerConfiguration onlyKept = arch.restrict(FashionMnistNet.builder().seed(1).build().conf());
        MultiLayerNetwork built = new MultiLayerNetwork(onlyKept);
        built.init();
        MultiLayerNetwork allOn = FashionMnistNet.builder().seed(1).build().init();

        // interleaved, so that JIT warm-up and native-memory pressure fall on all three alike (timed one after the
        // other, whichever ran first came out up to 30% slower)
        double[] t = Timing.interleavedMedianMs(5, reps, () -> supernet.fit(ds), () -> built.fit(ds), () -> allOn.fit(ds));
        double kept = t[0], restricted = t[1], all = t[2];
        System.out.printf("FashionMnistNet training step, batch 64, median of %d (kept: %s)%n", reps, arch.keptPerBlock());
        System.out.println("| network | branches | train step (ms) | vs built with only those |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| ALL blocks, %d kept | %d | %.1f | %+.1f%% |%n", budget, budget, kept, 100 * (kept / restricted - 1));
        System.out.printf("| built with only those branches | %d | %.1f | - |%n", budget, restricted);
        System.out.printf("| ALL blocks, all on | 39 | %.1f | %+.1f%% |%n", all, 100 * (all / restricted - 1));
    }
}
