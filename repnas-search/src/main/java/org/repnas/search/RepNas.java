package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterCreator;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.repnas.layers.AlphaAdam;
import org.repnas.layers.Architecture;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;

import java.util.ArrayList;
import java.util.List;

/**
 * A RepNAS search inside DL4J's own training: listeners for {@code fit(iterator, epochs)} (and EarlyStoppingTrainer),
 * the network-side settings of a {@link SearchConfig}, and the final architecture.
 *
 * <pre>{@code
 * SearchConfig config = SearchConfig.budget(18).epochs(8);
 * RepNas.configure(net, config, batchesPerEpoch);            // only if the config sets optimizer, alpha or temperature
 * net.setListeners(RepNas.listeners(config, testIterator, calibrationIterator));
 * net.fit(trainIterator, config.getEpochs());
 * Architecture arch = RepNas.finish(net, config, calibrationIterator);
 * MultiLayerNetwork deployed = NetworkFuser.fuse(net);
 * }</pre>
 */
public final class RepNas {
    private RepNas() {
    }

    /** The search's listeners: the branch budget and phases, and gradient clipping if the config asks for it. */
    public static List<TrainingListener> listeners(SearchConfig config) {
        List<TrainingListener> out = new ArrayList<>();
        out.add(new BranchBudgetListener(config));
        if (config.gradientClipNorm > 0) out.add(new GradientNormClipping(config.gradientClipNorm));
        return out;
    }

    /**
     * As {@link #listeners(SearchConfig)}, plus an evaluation at every epoch end of the architecture found so far
     * ({@link ArchitectureEvaluationListener}).
     *
     * @param evaluation  held-out data
     * @param calibration training data for re-estimating BatchNorm statistics before each evaluation
     *                    ({@link SearchConfig#calibrationBatches} batches): a separate iterator, not the one passed to fit
     */
    public static List<TrainingListener> listeners(SearchConfig config, DataSetIterator evaluation, DataSetIterator calibration) {
        List<TrainingListener> out = listeners(config);
        out.add(new ArchitectureEvaluationListener(evaluator(config, evaluation, calibration)));
        return out;
    }

    /** An evaluator of the architecture found so far, e.g. for {@link ArchitectureScoreCalculator}. */
    public static ArchitectureEvaluator evaluator(SearchConfig config, DataSetIterator evaluation, DataSetIterator calibration) {
        return new ArchitectureEvaluator(new BranchBudgetListener(config), evaluation, calibration, config.calibrationBatches);
    }

    /**
     * Writes into the network what of the config lives there, once, before training: the budget is checked; every
     * block gets the config's gate temperature and alpha weight decay (cosine-decayed over the search epochs) where
     * the config sets them, and the alpha learning rate (as set, or scaled to the number of search iterations:
     * {@link SearchConfig#scaledAlphaLearningRate}); with {@link SearchConfig#configureOptimizer} the weights get the
     * config's updater (lr with cosine decay over all epochs) and L2 weight decay on convolution and dense weights only.
     * The network's updater state starts anew.
     *
     * @param batchesPerEpoch iterations per epoch (for the per-iteration cosine schedules)
     */
    public static void configure(Model model, SearchConfig config, long batchesPerEpoch) {
        config.validate();
        if (batchesPerEpoch < 1) {
            throw new IllegalArgumentException("batchesPerEpoch must be at least 1, got " + batchesPerEpoch);
        }
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        new BranchBudgetListener(config).budget(model);
        List<Regularization> alphaDecay = config.alphaWeightDecay > 0
                ? List.of(new L2Regularization(new CosineSchedule(config.alphaWeightDecay, config.warmup() * batchesPerEpoch,
                Math.max(1, config.searchEpochs() * batchesPerEpoch), 0)))
                : null;
        Double alphaLr = config.alphaLearningRate(batchesPerEpoch);
        for (OdbbBlocks.Block b : blocks) {
            OdbbConvLayer c = b.conf();
            if (config.gateTemperature != null) c.setGateTemperature(config.gateTemperature);
            if (alphaLr != null) c.setAlphaUpdater(AlphaAdam.paper().withLearningRate(alphaLr));
            if (alphaDecay != null) c.setAlphaRegularization(alphaDecay);
        }
        if (config.configureOptimizer) {
            long fixedStart = (long) (config.epochs - config.fixed()) * batchesPerEpoch;
            CosineSchedule lr = config.learningRateSchedule == SearchConfig.LearningRateSchedule.COSINE_FIXED_PHASE
                    ? new CosineSchedule(config.learningRate, fixedStart, Math.max(1, config.fixed() * batchesPerEpoch), 0.0)
                    : new CosineSchedule(config.learningRate, Math.max(1, batchesPerEpoch * config.epochs), 0.0);
            IUpdater updater = config.weightUpdater == SearchConfig.WeightUpdater.NESTEROV
                    ? new Nesterovs(lr, config.momentum) : new SgdMomentum(lr, config.momentum);
            List<Regularization> decay = config.weightDecay > 0 ? List.of(new L2Regularization(config.weightDecay)) : List.of();
            for (Layer l : layerConfs(model)) {
                if (l instanceof BaseLayer bl) {
                    bl.setIUpdater(updater.clone());
                    bl.setBiasUpdater(null);
                    // OdbbConvLayer applies its regularization to convolution kernels only
                    bl.setRegularization(bl instanceof BatchNormalization ? new ArrayList<>() : new ArrayList<>(decay));
                    bl.setRegularizationBias(new ArrayList<>());
                } else if (l instanceof OdbbConvLayer o) {
                    o.setUpdater(updater.clone());
                    o.setRegularization(new ArrayList<>(decay));
                    o.setRegularizationBias(new ArrayList<>());
                }
            }
        }
        if (model instanceof MultiLayerNetwork m) m.setUpdater(UpdaterCreator.getUpdater(m));
        else if (model instanceof ComputationGraph g) g.setUpdater(new ComputationGraphUpdater(g));
    }

    /**
     * Makes the searched architecture the network's, and returns it: the fixed architecture if the search fixed one,
     * otherwise the deterministic top C of alpha. Its BatchNorm statistics are then re-estimated for the final weights
     * on {@code calibration} (its first {@link SearchConfig#calibrationBatches} batches; null: not), so that the
     * network, and what it fuses into, computes what it was trained to: running averages trail weights that still
     * moved in the last iterations (measured: FashionMnistNet after one fixed epoch on 3,000 images, 0.29 test accuracy
     * with its running statistics, 0.66 with re-estimated ones, 0.66 too once 30 more running-average steps ran with
     * the weights frozen).
     */
    public static Architecture finish(Model model, SearchConfig config, DataSetIterator calibration) {
        BranchBudgetListener search = new BranchBudgetListener(config);
        if (!OdbbBlocks.require(model).get(0).conf().isArchitectureFixed()) {
            search.applyTopAlpha(model);
        }
        if (calibration != null && config.calibrationBatches > 0) {
            ArchitectureEvaluator.recalibrate(model, calibration, config.calibrationBatches);
        }
        return Architecture.of(model, config.modelName);
    }

    /**
     * Re-estimates every ODBB's BatchNorm running statistics for the network's current weights and branches: the
     * average of their batch statistics over the first {@code batches} batches of {@code data} (after a reset). What
     * {@link #finish} does at the end of a search; useful for any network of ODBBs trained briefly.
     */
    public static void reestimateBatchNorm(Model model, DataSetIterator data, int batches) {
        if (batches < 1) throw new IllegalArgumentException("batches must be at least 1, got " + batches);
        ArchitectureEvaluator.recalibrate(model, data, batches);
    }

    private static List<Layer> layerConfs(Model model) {
        List<Layer> out = new ArrayList<>();
        if (model instanceof MultiLayerNetwork m) {
            for (NeuralNetConfiguration c : m.getLayerWiseConfigurations().getConfs()) out.add(c.getLayer());
        } else if (model instanceof ComputationGraph g) {
            for (org.deeplearning4j.nn.api.Layer l : g.getLayers()) out.add(l.conf().getLayer());
        }
        return out;
    }
}
