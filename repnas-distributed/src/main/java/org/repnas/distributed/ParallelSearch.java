package org.repnas.distributed;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.factory.TrainerContext;
import org.deeplearning4j.parallelism.trainer.DefaultTrainer;
import org.deeplearning4j.parallelism.trainer.Trainer;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.search.BranchBudgetListener;
import org.repnas.search.RepNas;
import org.repnas.search.SearchConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A RepNAS search on several cores (or GPUs) of one machine with DL4J's {@link ParallelWrapper}: every worker trains a
 * replica on its own minibatches, parameters (alpha and BatchNorm statistics included) and updater states are averaged
 * after every round. The search listeners are stateless, so the one instance ParallelWrapper shares between its worker
 * threads is safe; each replica's masks live in its own layer configurations.
 *
 * <p>What this class adds around {@code ParallelWrapper.fit(iterator)}, one epoch at a time, because ParallelWrapper
 * (DL4J 1.0.0-M2.1) calls no epoch events and never advances the epoch count, and drops the main network's updater
 * state at the end of every fit: the epoch start of the search on the main network (fixing the architecture in the
 * first fixed epoch), the updater state kept, the epoch count advanced.
 */
public final class ParallelSearch {
    private ParallelSearch() {
    }

    /**
     * Trains {@code net} for {@code epochs} epochs with {@code workers} workers and the search listeners of
     * {@code config} (plus the network's own listeners).
     *
     * @param afterEpoch called with the epoch number after each epoch (e.g. to evaluate the main network); may be null
     */
    public static void fit(Model net, SearchConfig config, DataSetIterator train, int epochs, int workers,
                           IntConsumer afterEpoch) {
        if (workers < 2) {
            throw new IllegalArgumentException("ParallelWrapper needs at least 2 workers, got " + workers
                    + "; with one, train the network itself: net.fit(iterator, epochs) with RepNas.listeners(config)");
        }
        BranchBudgetListener search = new BranchBudgetListener(config);
        List<TrainingListener> own = ownListeners(net);
        List<TrainingListener> withSearch = new ArrayList<>(RepNas.listeners(config));
        withSearch.addAll(own);
        for (int e = 0; e < epochs; e++) {
            search.startEpoch(net);
            INDArray updaterState = updaterState(net);
            net.setListeners(withSearch);          // ParallelWrapper's builder moves them to its workers
            try (ParallelWrapper pw = new ParallelWrapper.Builder<>(net).workers(workers).prefetchBuffer(2)
                    .averagingFrequency(1).averageUpdaters(true).build()) {
                // Set after build(): M2.1's builder replaces any trainer factory (CUSTOM mode included) with its own.
                pw.setTrainerContext(new SearchTrainerContext(search));
                pw.fit(train);
            } catch (Exception ex) {
                if (ex instanceof RuntimeException r) throw r;
                throw new IllegalStateException("ParallelWrapper failed: " + ex.getMessage(), ex);
            }
            restoreUpdaterState(net, updaterState);
            net.setListeners(own);
            incrementEpochCount(net);
            if (afterEpoch != null) afterEpoch.accept(e);
        }
    }

    /**
     * ParallelWrapper's averaging trainers, each drawing its replica's masks right before every minibatch. Without it a
     * replica's first minibatch ran on masks copied (as JSON) from the main network while worker 0 was rewriting them
     * block by block: half of one iteration's masks and half of the next, over the budget.
     */
    static final class SearchTrainerContext implements TrainerContext {
        private final BranchBudgetListener search;

        SearchTrainerContext(BranchBudgetListener search) {
            this.search = search;
        }

        @Override
        public void init(Model model, Object... args) {
        }

        @Override
        public Trainer create(String uuid, int threadId, Model model, int rootDevice, boolean useMDS,
                              ParallelWrapper wrapper, WorkspaceMode mode, int averagingFrequency) {
            SearchTrainer t = new SearchTrainer(search, uuid + "_thread_" + threadId, threadId, model, useMDS, wrapper,
                    mode, averagingFrequency);
            t.setName("RepNAS search trainer " + threadId);
            t.setDaemon(true);
            return t;
        }

        @Override
        public void finalizeRound(Model originalModel, Model... models) {
        }

        @Override
        public void finalizeTraining(Model originalModel, Model... models) {
        }
    }

    /** DL4J's averaging trainer; the masks of each minibatch follow from the replica's own (averaged) alpha and iteration. */
    static final class SearchTrainer extends DefaultTrainer {
        private final BranchBudgetListener search;

        SearchTrainer(BranchBudgetListener search, String uuid, int threadId, Model model, boolean useMDS,
                      ParallelWrapper wrapper, WorkspaceMode mode, int averagingFrequency) {
            this.search = search;
            this.uuid = uuid;
            this.threadId = threadId;
            this.originalModel = model;
            this.replicatedModel = model;
            this.useMDS = useMDS;
            this.parallelWrapper = wrapper;
            this.workspaceMode = mode;
            this.averagingFrequency = averagingFrequency;
        }

        @Override
        protected void fit(DataSet dataSet) {
            search.prepare(replicatedModel);
            super.fit(dataSet);
        }

        @Override
        protected void fit(MultiDataSet dataSet) {
            search.prepare(replicatedModel);
            super.fit(dataSet);
        }
    }

    private static List<TrainingListener> ownListeners(Model net) {
        List<TrainingListener> own = new ArrayList<>();
        if (net instanceof MultiLayerNetwork m) own.addAll(m.getListeners());
        else if (net instanceof ComputationGraph g) own.addAll(g.getListeners());
        own.removeIf(l -> l instanceof BranchBudgetListener || l instanceof org.repnas.search.GradientNormClipping);
        return own;
    }

    private static INDArray updaterState(Model net) {
        if (net instanceof MultiLayerNetwork m) return m.getUpdater().getStateViewArray();
        if (net instanceof ComputationGraph g) return g.getUpdater().getStateViewArray();
        throw new IllegalArgumentException("Expected a MultiLayerNetwork or ComputationGraph, got " + net.getClass().getName());
    }

    /**
     * ParallelWrapper's shutdown clears the main network's solver and with it its updater; the state array worker 0
     * trained through (and averaging wrote into) still holds the state, so it goes back into a fresh updater.
     */
    private static void restoreUpdaterState(Model net, INDArray state) {
        if (state == null) return;
        if (net instanceof MultiLayerNetwork m) m.getUpdater().setStateViewArray(m, state.dup(), false);
        else if (net instanceof ComputationGraph g) g.getUpdater().setStateViewArray(state.dup());
    }

    private static void incrementEpochCount(Model net) {
        if (net instanceof MultiLayerNetwork m) m.incrementEpochCount();
        else if (net instanceof ComputationGraph g) g.incrementEpochCount();
    }
}
