package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the architecture a search has found so far, and leaves no trace: the deterministic top C of alpha is
 * applied, the BatchNorm running statistics are re-estimated for it on a few training batches (a supernet's statistics
 * average over every architecture it sampled), the network is evaluated, then its active branches, gates and running
 * statistics are put back. Once the search has fixed the architecture, it is evaluated as it is, its statistics
 * re-estimated for its current weights all the same (what {@link RepNas#finish} delivers: running averages trail the
 * weights) and put back.
 *
 * <p>Used by {@link ArchitectureEvaluationListener} (every epoch), by {@link ArchitectureScoreCalculator} (DL4J's
 * early stopping) and by {@link RepNasSearch}.
 */
public final class ArchitectureEvaluator {

    /** What one evaluation found. */
    public record Result(SearchPhase phase, double accuracy, List<EnumSet<Branch>> kept, List<Map<String, Double>> alpha) {
        /** Kept branches per branch type, e.g. {kxk=6, 1x1=2, ...}. */
        public Map<String, Integer> keptPerBranch() {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (Branch b : Branch.values()) counts.put(b.id(), 0);
            for (EnumSet<Branch> s : kept) for (Branch b : s) counts.merge(b.id(), 1, Integer::sum);
            return counts;
        }
    }

    private final BranchBudgetListener search;
    private final DataSetIterator evaluation;
    private final DataSetIterator calibration;
    private final int calibrationBatches;

    /**
     * @param evaluation  held-out data (reset before each evaluation)
     * @param calibration training data for the BatchNorm re-estimation: its first {@code calibrationBatches} batches
     *                    after a reset. Not the iterator you pass to fit (this one is reset and read here); null: no
     *                    re-estimation
     */
    public ArchitectureEvaluator(BranchBudgetListener search, DataSetIterator evaluation, DataSetIterator calibration,
                                 int calibrationBatches) {
        if (evaluation == null) {
            throw new IllegalArgumentException("an evaluation iterator is needed (held-out data)");
        }
        this.search = search;
        this.evaluation = evaluation;
        this.calibration = calibration;
        this.calibrationBatches = calibration == null ? 0 : calibrationBatches;
    }

    /** Evaluates the architecture found so far on the evaluation data, then restores the network. */
    public Result evaluate(Model model) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        SearchPhase phase = search.phase(model);
        boolean fixed = blocks.get(0).conf().isArchitectureFixed();
        List<EnumSet<Branch>> active = new ArrayList<>();
        List<Map<Branch, Double>> noise = new ArrayList<>();
        for (OdbbBlocks.Block b : blocks) {
            active.add(b.conf().getActiveBranches());
            noise.add(b.conf().getGateNoise());
        }
        Map<INDArray, INDArray> statistics = null;
        try {
            if (!fixed) {
                search.applyTopAlpha(model);
            }
            if (calibrationBatches > 0) {
                statistics = runningStatistics(blocks);
                recalibrate(model, calibration, calibrationBatches);
            }
            evaluation.reset();
            Evaluation ev = ((NeuralNetwork) model).doEvaluation(evaluation, new Evaluation())[0];
            List<EnumSet<Branch>> kept = blocks.stream().map(b -> b.conf().getActiveBranches()).toList();
            return new Result(fixed ? SearchPhase.FIXED : phase, ev.accuracy(), kept, BranchBudgetListener.alphas(model));
        } finally {
            if (statistics != null) statistics.forEach(INDArray::assign);
            for (int i = 0; i < blocks.size(); i++) {
                OdbbConvLayer c = blocks.get(i).conf();
                c.setActiveBranches(active.get(i));
                c.setGateNoise(noise.get(i));
            }
        }
    }

    /**
     * BatchNorm recalibration for the current architecture: every ODBB's running statistics become the average of its
     * batch statistics over the first {@code batches} batches of {@code calibration} (after a reset).
     */
    static void recalibrate(Model model, DataSetIterator calibration, int batches) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        blocks.forEach(b -> b.layer().startCalibration());
        calibration.reset();
        for (int i = 0; i < batches && calibration.hasNext(); i++) {
            Networks.output(model, calibration.next().getFeatures(), true);
        }
        blocks.forEach(b -> b.layer().finishCalibration());
    }

    /** Copies of every ODBB running statistic, keyed by the parameter array to restore them into. */
    private static Map<INDArray, INDArray> runningStatistics(List<OdbbBlocks.Block> blocks) {
        Map<INDArray, INDArray> copies = new IdentityHashMap<>();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (OdbbBlocks.Block b : blocks) {
                for (Map.Entry<String, INDArray> p : b.layer().paramTable().entrySet()) {
                    if (OdbbParams.role(p.getKey()).isRunningStatistic()) copies.put(p.getValue(), p.getValue().dup());
                }
            }
        }
        return copies;
    }
}
