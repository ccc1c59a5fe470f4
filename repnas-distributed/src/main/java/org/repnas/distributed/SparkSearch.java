package org.repnas.distributed;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.BranchBudgetListener;
import org.repnas.search.RepNas;
import org.repnas.search.SearchConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * A RepNAS search on a Spark cluster with dl4j-spark's parameter averaging.
 *
 * <p>Why {@link ParameterAveragingTrainingMaster} and not the SharedTrainingMaster: averaging gives every worker of a
 * round the same alpha and iteration count, so all of them draw the same masks for the same iteration, and it averages
 * the updater states (alpha's Adam moments and step counts included); the shared master sends quantized,
 * threshold-encoded updates, under which alpha's small gradients lag and drift between workers, and needs Aeron ports
 * open between executors.
 *
 * <p>Per epoch this class does on the driver what dl4j-spark's workers cannot: the epoch start of the search (in the
 * first fixed epoch the architecture is fixed on the driver's network, so that every worker gets it with the
 * configuration). dl4j-spark advances the epoch count itself.
 */
public final class SparkSearch {
    private SparkSearch() {
    }

    /**
     * A parameter-averaging training master for a search: the masks hook, the updater state averaged (dl4j-spark's
     * builder would drop it by default), data handed to workers directly.
     *
     * @param examplesPerRddElement examples in each DataSet of the RDD (1 for single examples)
     * @param batchSizePerWorker    minibatch size on each worker
     * @param averagingFrequency    minibatches per worker between two averagings
     */
    public static ParameterAveragingTrainingMaster trainingMaster(SearchConfig config, int examplesPerRddElement,
                                                                  int batchSizePerWorker, int averagingFrequency) {
        return new ParameterAveragingTrainingMaster.Builder(examplesPerRddElement)
                .batchSizePerWorker(batchSizePerWorker)
                .averagingFrequency(averagingFrequency)
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .trainingHooks(new BranchBudgetHook(config))
                .build();
    }

    /**
     * Trains a MultiLayerNetwork search for {@code epochs} passes over {@code data}.
     *
     * @param afterEpoch called with the epoch number after each epoch (e.g. to evaluate the driver's network); may be null
     * @param listeners  more listeners for the workers (Serializable: they travel to the executors)
     */
    public static void fit(SparkDl4jMultiLayer spark, SearchConfig config, JavaRDD<DataSet> data, int epochs,
                           IntConsumer afterEpoch, TrainingListener... listeners) {
        spark.setListeners(withSearch(config, listeners));
        BranchBudgetListener search = new BranchBudgetListener(config);
        for (int e = 0; e < epochs; e++) {
            search.startEpoch(spark.getNetwork());
            spark.fit(data);
            if (afterEpoch != null) afterEpoch.accept(e);
        }
    }

    private static List<TrainingListener> withSearch(SearchConfig config, TrainingListener... more) {
        List<TrainingListener> all = new ArrayList<>(RepNas.listeners(config));
        all.addAll(Arrays.asList(more));
        return all;
    }

    /** As {@link #fit(SparkDl4jMultiLayer, SearchConfig, JavaRDD, int, IntConsumer, TrainingListener...)} for a ComputationGraph. */
    public static void fit(SparkComputationGraph spark, SearchConfig config, JavaRDD<DataSet> data, int epochs,
                           IntConsumer afterEpoch, TrainingListener... listeners) {
        spark.setListeners(withSearch(config, listeners));
        BranchBudgetListener search = new BranchBudgetListener(config);
        for (int e = 0; e < epochs; e++) {
            Model net = spark.getNetwork();
            search.startEpoch(net);
            spark.fit(data);
            if (afterEpoch != null) afterEpoch.accept(e);
        }
    }
}
