package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The RepNAS search as a DL4J {@link org.deeplearning4j.optimize.api.TrainingListener} (paper Algorithm 1): between
 * iterations it draws zeta ~ Logistic(0, 1) for every searchable branch of every ODBB, keeps the global top C of
 * alpha + zeta ({@link BranchBudget}) and switches the others off, so that they cost nothing. The phase follows from the
 * network's epoch count ({@link SearchConfig#phase}): in warm-up the kept branches are not gated (alpha frozen, the top C
 * random); in the search they are gated, so alpha learns; at the start of the first fixed epoch the listener fixes the
 * architecture (deterministic top C of alpha) and resets the BatchNorm running statistics, then leaves it alone.
 *
 * <p>Everything it decides is written into the network's layer configurations (active branches, the gates' noise, the
 * fixed flag), and nothing into the listener: one instance can serve several networks at once (ParallelWrapper's
 * workers) and travel to Spark executors. The noise of iteration t is a pure function of (seed, t, block, branch), so
 * every worker, and a resumed run, draws the same noise for the same iteration.
 *
 * <p>Outside {@code fit(iterator)} (which calls {@link #onEpochStart}), call {@link #startEpoch} at each epoch start
 * and {@link #prepare} before a {@code fit(DataSet)}.
 */
public class BranchBudgetListener extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;

    private final SearchConfig config;

    /** A search with the schedule, budget and identity rule of {@code config}. */
    public BranchBudgetListener(SearchConfig config) {
        config.validate();
        this.config = config.clone();
    }

    /**
     * A search phase without end (no warm-up, never fixed), identity searched like any branch: the budget alone,
     * for a training loop of your own.
     */
    public BranchBudgetListener(int budget, long seed) {
        this(SearchConfig.budget(budget).seed(seed).identity(IdentityMode.SEARCHED).epochs(Integer.MAX_VALUE)
                .warmupEpochs(0).fixedEpochs(0));
    }

    public SearchConfig config() {
        return config.clone();
    }

    @Override
    public void onEpochStart(Model model) {
        startEpoch(model);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        SearchPhase phase = config.phase(epoch);
        if (phase != SearchPhase.FIXED) {
            prepare(model, iteration + 1L, phase);
        }
    }

    /**
     * What happens at an epoch boundary: in the first fixed epoch the architecture is fixed (once); in the other phases
     * the masks of the next iteration are drawn.
     */
    public void startEpoch(Model model) {
        checkConfigured(OdbbBlocks.require(model));
        SearchPhase phase = config.phase(Networks.epochCount(model));
        if (phase == SearchPhase.FIXED) {
            fixArchitecture(model);
        } else {
            prepare(model, Networks.iterationCount(model), phase);
        }
    }

    /** Draws the masks for the network's next iteration, in the phase of its current epoch (before a fit(DataSet)). */
    public void prepare(Model model) {
        SearchPhase phase = config.phase(Networks.epochCount(model));
        if (phase != SearchPhase.FIXED) {
            prepare(model, Networks.iterationCount(model), phase);
        }
    }

    /** The phase of the network's current epoch. */
    public SearchPhase phase(Model model) {
        return config.phase(Networks.epochCount(model));
    }

    void prepare(Model model, long iteration, SearchPhase phase) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        if (blocks.get(0).conf().isArchitectureFixed()) {
            return;                            // fixed earlier (e.g. a schedule changed under a running search)
        }
        LogisticNoise noise = new LogisticNoise(config.seed);
        List<EnumSet<Branch>> searchable = new ArrayList<>();
        List<double[]> zetas = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            OdbbBlocks.Block b = blocks.get(i);
            EnumSet<Branch> s = config.searchable(b.conf().getPresentBranches());
            double[] z = new double[Branch.values().length];
            double[] score = new double[Branch.values().length];
            for (Branch br : s) {
                z[br.ordinal()] = noise.zeta(iteration, i * Branch.values().length + br.ordinal());
                score[br.ordinal()] = b.layer().alpha(br) + z[br.ordinal()];
            }
            searchable.add(s);
            zetas.add(z);
            scores.add(score);
        }
        List<EnumSet<Branch>> kept = BranchBudget.keep(searchable, scores, budget(blocks));
        for (int i = 0; i < blocks.size(); i++) {
            OdbbConvLayer conf = blocks.get(i).conf();
            EnumSet<Branch> active = withAlwaysOn(kept.get(i), conf);
            conf.setActiveBranches(active);
            if (phase == SearchPhase.SEARCH) {
                Map<Branch, Double> z = new EnumMap<>(Branch.class);
                for (Branch br : kept.get(i)) z.put(br, zetas.get(i)[br.ordinal()]);
                conf.setGateNoise(z);
            } else {
                conf.setGateNoise(null);
            }
        }
    }

    /**
     * Fixes the architecture, once: the deterministic top C of alpha, gates off, every ODBB's running statistics reset
     * to mean 0 and variance 1 (they were estimated under other architectures) and the fixed flag set.
     *
     * @return whether it fixed it now (false: it was fixed already)
     */
    public boolean fixArchitecture(Model model) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        if (blocks.get(0).conf().isArchitectureFixed()) {
            return false;
        }
        applyTopAlpha(model);
        for (OdbbBlocks.Block b : blocks) {
            resetRunningStatistics(b);
            b.conf().setArchitectureFixed(true);
        }
        return true;
    }

    /**
     * The architecture the search has found so far, applied to the model: the deterministic top C of alpha, gates
     * off (for evaluation, and when the architecture is fixed).
     */
    public List<EnumSet<Branch>> applyTopAlpha(Model model) {
        List<EnumSet<Branch>> kept = topAlpha(model);
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        for (int i = 0; i < blocks.size(); i++) {
            blocks.get(i).conf().setActiveBranches(kept.get(i));
            blocks.get(i).conf().setGateNoise(null);
        }
        return kept;
    }

    /** The deterministic top C of alpha per block (always-on branches included), without applying it. */
    public List<EnumSet<Branch>> topAlpha(Model model) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        List<EnumSet<Branch>> searchable = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (OdbbBlocks.Block b : blocks) {
            EnumSet<Branch> s = config.searchable(b.conf().getPresentBranches());
            double[] score = new double[Branch.values().length];
            for (Branch br : s) score[br.ordinal()] = b.layer().alpha(br);
            searchable.add(s);
            scores.add(score);
        }
        List<EnumSet<Branch>> kept = BranchBudget.keep(searchable, scores, budget(blocks));
        List<EnumSet<Branch>> out = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) out.add(withAlwaysOn(kept.get(i), blocks.get(i).conf()));
        return out;
    }

    /** Every block's alpha per present branch id, in block order. */
    public static List<Map<String, Double>> alphas(Model model) {
        List<Map<String, Double>> out = new ArrayList<>();
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            Map<String, Double> a = new java.util.LinkedHashMap<>();
            for (Branch br : b.conf().getPresentBranches()) a.put(br.id(), b.layer().alpha(br));
            out.add(a);
        }
        return out;
    }

    /** As {@link #applyTopAlpha(Model)} for any budget, identity searched like any branch. */
    public static List<EnumSet<Branch>> applyTopAlpha(Model model, int budget) {
        return new BranchBudgetListener(budget, 0).applyTopAlpha(model);
    }

    /** The budget C resolved for this network (checked: fails with the valid range). */
    public int budget(Model model) {
        return budget(OdbbBlocks.require(model));
    }

    private int budget(List<OdbbBlocks.Block> blocks) {
        return config.resolveBudget(blocks.stream().map(b -> b.conf().getPresentBranches()).toList());
    }

    private EnumSet<Branch> withAlwaysOn(EnumSet<Branch> kept, OdbbConvLayer conf) {
        EnumSet<Branch> active = EnumSet.copyOf(kept);
        if (config.identityAlwaysOn() && conf.getPresentBranches().contains(Branch.IDENTITY)) {
            active.add(Branch.IDENTITY);
        }
        return active;
    }

    /** The settings {@link RepNas#configure} writes into the blocks must be there, or the search would ignore them. */
    private void checkConfigured(List<OdbbBlocks.Block> blocks) {
        for (OdbbBlocks.Block b : blocks) {
            OdbbConvLayer c = b.conf();
            boolean temperature = config.gateTemperature == null || c.getGateTemperature() == config.gateTemperature;
            boolean alphaLr = config.alphaLearningRate == null || (c.getAlphaUpdater() instanceof org.repnas.layers.AlphaAdam a
                    && a.getLearningRate() == config.alphaLearningRate);
            if (!temperature || !alphaLr) {
                throw new IllegalStateException("The search config sets the gate temperature or the alpha learning rate, "
                        + "but block '" + b.name() + "' has other values: call RepNas.configure(net, config, batchesPerEpoch) "
                        + "once before fit.");
            }
        }
    }

    /** Running statistics of a block back to mean 0, variance 1. */
    static void resetRunningStatistics(OdbbBlocks.Block b) {
        for (Map.Entry<String, org.nd4j.linalg.api.ndarray.INDArray> p : b.layer().paramTable().entrySet()) {
            switch (OdbbParams.role(p.getKey())) {
                case RUNNING_MEAN -> p.getValue().assign(0);
                case RUNNING_VAR -> p.getValue().assign(1);
                default -> { }
            }
        }
    }
}
