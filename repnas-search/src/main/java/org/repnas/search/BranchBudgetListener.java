package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * Enforces the global branch budget C of a RepNAS search between training iterations (paper Algorithm 1). Before
 * every iteration it draws zeta ~ Logistic(0, 1) for every branch of every ODBB, keeps the global top C of
 * alpha + zeta ({@link BranchBudget}) and switches the other branches off, so that they cost nothing in that iteration.
 * In {@link Mode#SEARCH} the kept branches are gated, so alpha learns; in {@link Mode#WARMUP} they are not (alpha
 * frozen, the top C is random); in {@link Mode#FIXED} the listener leaves the architecture alone.
 *
 * <p>Iteration t uses zeta(seed, t, branch): a run resumed from a checkpoint draws the same noise.
 */
public class BranchBudgetListener extends BaseTrainingListener {

    public enum Mode { WARMUP, SEARCH, FIXED }

    private final int budget;
    private final LogisticNoise noise;
    private Mode mode = Mode.SEARCH;
    private List<EnumSet<Branch>> lastKept;
    private long lastIteration = -1;

    public BranchBudgetListener(int budget, long seed) {
        this.budget = budget;
        this.noise = new LogisticNoise(seed);
    }

    public int budget() {
        return budget;
    }

    public Mode mode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    /** The branches kept for the most recent iteration prepared, per block. */
    public List<EnumSet<Branch>> lastKept() {
        return lastKept;
    }

    /** The iteration the current masks were drawn for. */
    public long lastIteration() {
        return lastIteration;
    }

    @Override
    public void onEpochStart(Model model) {
        if (mode != Mode.FIXED) {
            prepare(model, iterationCount(model));
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (mode != Mode.FIXED) {
            prepare(model, iteration + 1L);
        }
    }

    /** Draws the masks for the model's next iteration (call before {@code fit(DataSet)} outside {@code fit(iterator)}). */
    public void prepare(Model model) {
        prepare(model, iterationCount(model));
    }

    void prepare(Model model, long iteration) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        List<EnumSet<Branch>> present = new ArrayList<>();
        List<double[]> zetas = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            OdbbBlocks.Block b = blocks.get(i);
            EnumSet<Branch> p = b.conf().getPresentBranches();
            double[] z = new double[Branch.values().length];
            double[] s = new double[Branch.values().length];
            for (Branch br : p) {
                z[br.ordinal()] = noise.zeta(iteration, i * Branch.values().length + br.ordinal());
                s[br.ordinal()] = b.layer().alpha(br) + z[br.ordinal()];
            }
            present.add(p);
            zetas.add(z);
            scores.add(s);
        }
        List<EnumSet<Branch>> kept = BranchBudget.keep(present, scores, budget);
        for (int i = 0; i < blocks.size(); i++) {
            OdbbBlocks.Block b = blocks.get(i);
            b.conf().setActiveBranches(kept.get(i));
            if (mode == Mode.SEARCH) {
                Map<Branch, Double> z = new EnumMap<>(Branch.class);
                for (Branch br : kept.get(i)) z.put(br, zetas.get(i)[br.ordinal()]);
                b.layer().setGateNoise(z);
            } else {
                b.layer().setGateNoise(null);
            }
        }
        lastKept = kept;
        lastIteration = iteration;
    }

    /**
     * The architecture the search has found so far: the deterministic top C of alpha, applied to the model (gates
     * off). Used for evaluation and when the architecture is fixed.
     */
    public List<EnumSet<Branch>> applyTopAlpha(Model model) {
        return applyTopAlpha(model, budget);
    }

    /** As {@link #applyTopAlpha(Model)} for any budget. */
    public static List<EnumSet<Branch>> applyTopAlpha(Model model, int budget) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        List<EnumSet<Branch>> present = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (OdbbBlocks.Block b : blocks) {
            EnumSet<Branch> p = b.conf().getPresentBranches();
            double[] s = new double[Branch.values().length];
            for (Branch br : p) s[br.ordinal()] = b.layer().alpha(br);
            present.add(p);
            scores.add(s);
        }
        List<EnumSet<Branch>> kept = BranchBudget.keep(present, scores, budget);
        for (int i = 0; i < blocks.size(); i++) {
            blocks.get(i).conf().setActiveBranches(kept.get(i));
            blocks.get(i).layer().setGateNoise(null);
        }
        return kept;
    }

    static long iterationCount(Model model) {
        if (model instanceof MultiLayerNetwork m) return m.getIterationCount();
        if (model instanceof ComputationGraph g) return g.getIterationCount();
        throw new IllegalArgumentException("Expected a MultiLayerNetwork or ComputationGraph, got " + model.getClass().getName());
    }
}
