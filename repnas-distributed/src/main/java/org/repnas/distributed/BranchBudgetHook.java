package org.repnas.distributed;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.repnas.search.BranchBudgetListener;
import org.repnas.search.SearchConfig;

/**
 * Draws a Spark worker's masks before each of its minibatches. dl4j-spark builds a new worker network from the
 * driver's configuration for every averaging round, so its first minibatch would otherwise run with the driver's
 * masks; the listener's {@code iterationDone} prepares the following ones. The noise of an iteration is a pure function
 * of (seed, iteration, block, branch) and every worker of a round starts from the same alpha and iteration count, so
 * all workers draw the same masks for the same iteration.
 */
public class BranchBudgetHook implements TrainingHook {
    private static final long serialVersionUID = 1L;

    private final BranchBudgetListener search;

    public BranchBudgetHook(SearchConfig config) {
        this.search = new BranchBudgetListener(config);
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        search.prepare(model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        search.prepare(model);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
