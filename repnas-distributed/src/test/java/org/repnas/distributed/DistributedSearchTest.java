package org.repnas.distributed;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.Branch;
import org.repnas.layers.FashionMnistFixture;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.TestNetworks;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.search.RepNas;
import org.repnas.search.SearchConfig;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A search on real Fashion-MNIST batches with two ParallelWrapper workers and with Spark in local mode (local[2]):
 * every worker meets the budget on every iteration with no block empty, alpha moves, the workers of an iteration draw
 * the same masks, and the searched network fuses into one with the same predictions.
 */
class DistributedSearchTest {
    static DataSet train;
    static DataSet test;

    /** What a worker ran in one iteration (recorded from its forward pass; Spark's local executors share this JVM). */
    record Step(String worker, int iteration, List<EnumSet<Branch>> active, boolean gated) implements Serializable {
    }

    static final ConcurrentLinkedQueue<Step> STEPS = new ConcurrentLinkedQueue<>();

    /** Records the masks each worker's forward pass ran with. Serializable: it travels to Spark's executors. */
    static final class Recorder extends BaseTrainingListener implements Serializable {
        @Override
        public void onForwardPass(Model model, List<INDArray> activations) {
            List<EnumSet<Branch>> active = new ArrayList<>();
            for (OdbbBlocks.Block b : OdbbBlocks.find(model)) active.add(b.conf().getActiveBranches());
            STEPS.add(new Step(Thread.currentThread().getName() + "@" + System.identityHashCode(model),
                    ((MultiLayerNetwork) model).getIterationCount(), active, OdbbBlocks.find(model).get(0).conf().getGateNoise() != null));
        }
    }

    @BeforeAll
    static void data() throws Exception {
        train = FashionMnistFixture.load(true, 512);
        test = FashionMnistFixture.load(false, 256);
    }

    @AfterAll
    static void clear() {
        STEPS.clear();
    }

    static SearchConfig config() {
        return SearchConfig.budget(7).epochs(3).warmupEpochs(1).fixedEpochs(1).seed(21).alphaLearningRate(0.05);
    }

    /** Three ODBBs on 28x28x1: 7 + 7 + 6 branches, identity always on in the middle block. */
    static MultiLayerNetwork supernet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9)).list()
                .layer(OdbbConvLayer.builder().nOut(8).stride(2).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(8).preset(BlockPreset.ALL).build())
                .layer(OdbbConvLayer.builder().nOut(12).stride(2).preset(BlockPreset.ALL).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnistFixture.CLASSES).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void parallelWrapperWithTwoWorkers() {
        STEPS.clear();
        MultiLayerNetwork net = supernet();
        RepNas.configure(net, config(), 512 / 32);
        net.setListeners(new Recorder());
        ParallelSearch.fit(net, config(), new ListDataSetIterator<>(train.asList(), 32), 3, 2, null);
        checkSearch(net, 2, 1);
    }

    /**
     * A replica's first minibatch: ParallelWrapper copies the main network's configuration (as JSON) while worker 0
     * rewrites its masks, so a replica can start with masks of two iterations, over the budget (seen on CI). The
     * search's trainer draws them again before every minibatch.
     */
    @Test
    void parallelTrainerDrawsMasksBeforeEveryMinibatch() {
        STEPS.clear();
        MultiLayerNetwork net = supernet();
        RepNas.configure(net, config(), 512 / 32);
        for (OdbbBlocks.Block b : OdbbBlocks.find(net)) b.conf().setActiveBranches(b.conf().getPresentBranches());
        net.setListeners(new Recorder());
        ParallelSearch.SearchTrainer trainer = new ParallelSearch.SearchTrainer(
                new org.repnas.search.BranchBudgetListener(config()), "test", 1, net, false, null, null, 1);
        trainer.fit(new DataSet(train.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 32)),
                train.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 32))));
        assertEquals(1, STEPS.size());
        assertEquals(7 + 1, STEPS.peek().active().stream().mapToInt(EnumSet::size).sum(), "budget 7 plus identity");
    }

    @Test
    void sparkLocalModeWithTwoExecutors() {
        STEPS.clear();
        SparkConf sc = new SparkConf().setMaster("local[2]").setAppName("repnas-test").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        try (JavaSparkContext jsc = new JavaSparkContext(sc)) {
            MultiLayerNetwork net = supernet();
            RepNas.configure(net, config(), 512 / 32);
            JavaRDD<DataSet> rdd = jsc.parallelize(train.asList(), 2);
            SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, net, SparkSearch.trainingMaster(config(), 1, 16, 2));
            SparkSearch.fit(spark, config(), rdd, 3, null, new Recorder());
            checkSearch(spark.getNetwork(), 2, 2);
        }
    }

    /**
     * Budget on every worker and iteration; the same masks across workers wherever they rank the same alpha (the first
     * minibatch of every averaging round: later minibatches of a round rank each worker's locally updated alpha, like
     * every other parameter, and may differ); alpha moved; exact fusion.
     */
    private static void checkSearch(MultiLayerNetwork net, int workers, int averagingFrequency) {
        List<Step> steps = new ArrayList<>(STEPS);
        assertTrue(steps.size() >= 16, "recorded " + steps.size() + " worker iterations");
        assertTrue(steps.stream().map(Step::worker).distinct().count() >= workers, "ran on several workers");
        for (Step s : steps) {
            assertTrue(s.active().stream().noneMatch(EnumSet::isEmpty), "a block without branch: " + s);
            assertEquals(7 + 1, s.active().stream().mapToInt(EnumSet::size).sum(), "budget 7 plus identity: " + s);
        }
        Map<Integer, List<EnumSet<Branch>>> byIteration = new HashMap<>();
        long same = 0, shared = 0;
        for (Step s : steps) {
            if (s.iteration() % averagingFrequency != 0) continue;
            List<EnumSet<Branch>> other = byIteration.putIfAbsent(s.iteration(), s.active());
            if (other != null) {
                shared++;
                if (other.equals(s.active())) same++;
            }
        }
        System.out.printf("%d worker iterations, %d iteration numbers run by more than one worker, same masks in %d%n",
                steps.size(), shared, same);
        assertTrue(shared > 0 && same == shared, "workers of the same iteration drew other masks: " + same + " of " + shared);
        double alpha = OdbbBlocks.find(net).stream().mapToDouble(b -> Math.abs(b.layer().alpha(Branch.KXK))).max().orElseThrow();
        assertTrue(alpha > 1e-3, "alpha moved: " + alpha);
        assertTrue(OdbbBlocks.find(net).get(0).conf().isArchitectureFixed(), "the last epoch fixed the architecture");

        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        INDArray x = test.getFeatures();
        INDArray a = net.output(x, false), b = fused.output(x, false);
        assertEquals(a.argMax(1), b.argMax(1), "fused predictions");
        assertTrue(TestNetworks.relativeError(b, a) < 1e-5, "fused output " + TestNetworks.relativeError(b, a));
    }
}
