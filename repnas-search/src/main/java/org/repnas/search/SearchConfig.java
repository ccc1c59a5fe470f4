package org.repnas.search;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.repnas.layers.Branch;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.List;

/**
 * What a RepNAS search does: the branch budget, the schedule of phases, the gates' optimizer and (optionally) the
 * weights' optimizer. Two starting points:
 * <ul>
 *   <li>{@link #budget(int)}: a search under a budget of C branches, for the runs a user makes on a CPU (defaults
 *   below);</li>
 *   <li>{@link #official()}: the official RepNAS training (bestfleer/RepNAS train.py): 150 epochs = 15 random
 *   (alpha frozen) / 35 search / 100 fixed, identity always on and outside the budget, budget = int(0.34 x searchable
 *   branches), SGD with plain momentum 0.9, lr 0.1 cosine per iteration, L2 weight decay 1e-4 on conv and dense
 *   weights, gradient-norm clipping at 5 (alpha included), alpha by Adam 1e-4 (0.5, 0.999) with L2 5e-4 decayed by a
 *   cosine over the search epochs.</li>
 * </ul>
 * Serializable (it travels with the listeners to Spark executors) and JSON (it is saved with checkpoints).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public class SearchConfig implements Serializable, Cloneable {
    private static final long serialVersionUID = 1L;

    /** The official RepNAS budget ratio: int(0.34 x searchable branches) (train.py --kept_ratio). */
    public static final double OFFICIAL_BUDGET_RATIO = 0.34;

    Integer budget;
    Double budgetRatio;
    IdentityMode identity = IdentityMode.ALWAYS_ON;
    int epochs = 10;
    Integer warmupEpochs;
    Integer fixedEpochs;
    long seed = 42;
    /** null: the layers' own temperature. */
    Double gateTemperature;
    /** null: scaled to the run by {@link RepNas#configure} ({@link #scaledAlphaLearningRate}). */
    Double alphaLearningRate;
    double alphaWeightDecay = 0;
    boolean configureOptimizer = false;
    WeightUpdater weightUpdater = WeightUpdater.SGD_MOMENTUM;
    LearningRateSchedule learningRateSchedule = LearningRateSchedule.COSINE_ALL_EPOCHS;
    double learningRate = 0.1;
    double momentum = 0.9;
    double weightDecay = 1e-4;
    double gradientClipNorm = 0;
    int calibrationBatches = 20;
    String modelName = "model";
    boolean checkpointEveryEpoch = true;

    /** How {@link RepNas#configure} schedules the weights' learning rate. */
    public enum LearningRateSchedule {
        /** One cosine from the start to the end of training: the official recipe. */
        COSINE_ALL_EPOCHS,
        /** Constant while the supernet trains, then a cosine over the fixed epochs: the fixed architecture gets a whole decay. */
        COSINE_FIXED_PHASE
    }

    /** The weight optimizer {@link RepNas#configure} installs. */
    public enum WeightUpdater {
        /** SGD with classical (heavy-ball) momentum, as PyTorch's SGD: the official recipe. */
        SGD_MOMENTUM,
        /** DL4J's Nesterovs. */
        NESTEROV
    }

    /** A search keeping C branches in the whole network (identity, where always on, not counted). */
    public static SearchConfig budget(int budget) {
        SearchConfig c = new SearchConfig();
        c.budget = budget;
        return c;
    }

    /** A search keeping a fraction of the searchable branches: C = int(ratio x searchable branches). */
    public static SearchConfig budgetRatio(double ratio) {
        SearchConfig c = new SearchConfig();
        c.budgetRatio = ratio;
        return c;
    }

    /** The official RepNAS recipe (see the class comment); {@link #epochs} scales its 10% / 23% / 67% schedule. */
    public static SearchConfig official() {
        SearchConfig c = budgetRatio(OFFICIAL_BUDGET_RATIO).epochs(150).warmupEpochs(15).fixedEpochs(100)
                .identity(IdentityMode.ALWAYS_ON).configureOptimizer(true).weightUpdater(WeightUpdater.SGD_MOMENTUM)
                .learningRate(0.1).momentum(0.9).weightDecay(1e-4).gradientClipNorm(5).alphaLearningRate(1e-4)
                .alphaWeightDecay(5e-4);
        c.officialSchedule = true;
        return c;
    }

    /** Set by {@link #official()}: {@link #epochs} keeps the 15 / 35 / 100 proportions. */
    boolean officialSchedule;

    // ---------------------------------------------------------------------------------------------------------------
    // Setters (fluent)

    public SearchConfig withBudget(int c) { this.budget = c; this.budgetRatio = null; return this; }
    public SearchConfig withBudgetRatio(double r) { this.budgetRatio = r; this.budget = null; return this; }
    /** Identity always on and outside the budget (default, official), or searched. */
    public SearchConfig identity(IdentityMode m) { this.identity = m; return this; }
    /**
     * Total epochs. With {@link #official()} the warm-up and fixed epochs scale with it (10% and 67%); otherwise they
     * keep their defaults as fractions of it unless set.
     */
    public SearchConfig epochs(int e) {
        if (officialSchedule) {
            warmupEpochs = (int) Math.round(e * 15.0 / 150);
            fixedEpochs = (int) Math.round(e * 100.0 / 150);
        }
        this.epochs = e;
        return this;
    }
    /** Epochs that draw architectures at random with alpha frozen (default {@link #warmup()}). */
    public SearchConfig warmupEpochs(int e) { this.warmupEpochs = e; return this; }
    /** Final epochs that train the fixed architecture (default {@link #fixed()}). */
    public SearchConfig fixedEpochs(int e) { this.fixedEpochs = e; return this; }
    public SearchConfig seed(long s) { this.seed = s; return this; }
    /** Sets every block's gate temperature lambda (default: leave the layers' own, 1). */
    public SearchConfig gateTemperature(double lambda) { this.gateTemperature = lambda; return this; }
    /**
     * Sets every block's alpha learning rate (AlphaAdam, betas 0.5 / 0.999). Default: scaled to the length of the
     * search by {@link RepNas#configure} ({@link #scaledAlphaLearningRate}).
     */
    public SearchConfig alphaLearningRate(double lr) { this.alphaLearningRate = lr; return this; }
    /** L2 on alpha, decayed by a cosine to 0 over the search epochs (official 5e-4; default 0). */
    public SearchConfig alphaWeightDecay(double wd) { this.alphaWeightDecay = wd; return this; }
    /**
     * true: the search replaces the network's updaters and regularization with this config's (weights: the updater,
     * lr with cosine decay, L2 weight decay on conv and dense weights only). Default false: the network keeps its own.
     * Setting any of the weights' options below (updater, schedule, learning rate, momentum, weight decay) asks for
     * it too: a learning rate that the search then ignored would be a silent surprise.
     */
    public SearchConfig configureOptimizer(boolean b) { this.configureOptimizer = b; return this; }
    public SearchConfig weightUpdater(WeightUpdater u) { this.weightUpdater = u; this.configureOptimizer = true; return this; }
    public SearchConfig learningRateSchedule(LearningRateSchedule s) { this.learningRateSchedule = s; this.configureOptimizer = true; return this; }
    public SearchConfig learningRate(double lr) { this.learningRate = lr; this.configureOptimizer = true; return this; }
    public SearchConfig momentum(double m) { this.momentum = m; this.configureOptimizer = true; return this; }
    /** L2 weight decay coupled into the gradient (PyTorch's weight_decay), conv and dense weights only. */
    public SearchConfig weightDecay(double wd) { this.weightDecay = wd; this.configureOptimizer = true; return this; }
    /** Clips the global L2 norm of the gradient (alpha included, running statistics not) to this value; 0: none. */
    public SearchConfig gradientClipNorm(double n) { this.gradientClipNorm = n; return this; }
    /**
     * Training batches used to re-estimate BatchNorm statistics before evaluating the architecture found so far (the
     * running statistics of a supernet mix many sampled architectures). 0: no recalibration.
     */
    public SearchConfig calibrationBatches(int n) { this.calibrationBatches = n; return this; }
    public SearchConfig modelName(String n) { this.modelName = n; return this; }
    public SearchConfig checkpointEveryEpoch(boolean b) { this.checkpointEveryEpoch = b; return this; }

    // ---------------------------------------------------------------------------------------------------------------
    // Getters

    public int getEpochs() { return epochs; }
    public long getSeed() { return seed; }
    public String getModelName() { return modelName; }
    public IdentityMode getIdentity() { return identity; }
    public Integer getBudget() { return budget; }
    public Double getBudgetRatio() { return budgetRatio; }
    public Double getGateTemperature() { return gateTemperature; }
    public Double getAlphaLearningRate() { return alphaLearningRate; }
    public double getAlphaWeightDecay() { return alphaWeightDecay; }
    public boolean isConfigureOptimizer() { return configureOptimizer; }
    public WeightUpdater getWeightUpdater() { return weightUpdater; }
    public LearningRateSchedule getLearningRateSchedule() { return learningRateSchedule; }
    public double getLearningRate() { return learningRate; }
    public double getMomentum() { return momentum; }
    public double getWeightDecay() { return weightDecay; }
    public double getGradientClipNorm() { return gradientClipNorm; }
    public int getCalibrationBatches() { return calibrationBatches; }
    public boolean isCheckpointEveryEpoch() { return checkpointEveryEpoch; }

    /**
     * How far alpha can travel in the official search: 175,000 Adam steps (35 ImageNet epochs of 5,005 iterations at
     * batch 256) at lr 1e-4, each moving alpha by at most about the learning rate.
     */
    public static final double OFFICIAL_ALPHA_TRAVEL = 1e-4 * 175_000;

    /**
     * The alpha learning rate that gives a search of {@code searchIterations} iterations the official search's reach:
     * {@link #OFFICIAL_ALPHA_TRAVEL} / iterations, never below the paper's 1e-4. The logistic noise added to alpha has a
     * standard deviation of 1.8: at lr 1e-4 a search of a few hundred iterations leaves every alpha within 0.03 of zero,
     * and the "search" samples at random. Null when there are no search iterations.
     */
    public static Double scaledAlphaLearningRate(long searchIterations) {
        return searchIterations <= 0 ? null : Math.max(1e-4, OFFICIAL_ALPHA_TRAVEL / searchIterations);
    }

    /** The alpha learning rate of this search: as set, or {@link #scaledAlphaLearningRate} for its search iterations. */
    public Double alphaLearningRate(long batchesPerEpoch) {
        return alphaLearningRate != null ? alphaLearningRate : scaledAlphaLearningRate(searchEpochs() * batchesPerEpoch);
    }

    /** Warm-up epochs: as set, else 10% of the epochs (the official 15 of 150). */
    @JsonIgnore
    public int warmup() {
        return warmupEpochs != null ? warmupEpochs : (int) Math.round(0.1 * epochs);
    }

    /** Fixed epochs: as set, else the official two thirds of the epochs (100 of 150), at least 1. */
    @JsonIgnore
    public int fixed() {
        return fixedEpochs != null ? fixedEpochs : Math.max(1, (int) Math.round(epochs * 100.0 / 150));
    }

    /** Search epochs: the rest. */
    @JsonIgnore
    public int searchEpochs() {
        return epochs - warmup() - fixed();
    }

    /**
     * The phase of epoch e: warm-up [0, W), search [W, E - F), fixed [E - F, ...). Epochs past the end stay fixed
     * (training on is training the fixed architecture).
     */
    public SearchPhase phase(int epoch) {
        if (epoch >= epochs - fixed()) return SearchPhase.FIXED;
        if (epoch < warmup()) return SearchPhase.WARMUP;
        return SearchPhase.SEARCH;
    }

    /** Whether identity, where a block can have it, is kept outside the budget. */
    boolean identityAlwaysOn() {
        return identity == IdentityMode.ALWAYS_ON;
    }

    /** The branches of a block that compete for the budget. */
    EnumSet<Branch> searchable(EnumSet<Branch> present) {
        EnumSet<Branch> s = EnumSet.copyOf(present);
        if (identityAlwaysOn()) s.remove(Branch.IDENTITY);
        return s;
    }

    /**
     * The budget C for a network whose blocks have these branches: as set, or int(ratio x searchable branches).
     * Fails with the valid range when no architecture can meet it.
     */
    public int resolveBudget(List<EnumSet<Branch>> present) {
        List<EnumSet<Branch>> searchable = present.stream().map(this::searchable).toList();
        int c = budget != null ? budget
                : budgetRatio != null ? (int) (budgetRatio * searchable.stream().mapToInt(EnumSet::size).sum())
                : 0;
        if (budget == null && budgetRatio == null) {
            throw new IllegalArgumentException("The search has no budget: use SearchConfig.budget(C) or budgetRatio(r).");
        }
        BranchBudget.check(searchable, c, identityAlwaysOn() ? " (identity is always on and not counted)" : "");
        return c;
    }

    /** Checks everything that does not depend on the network; messages say what to change. */
    public void validate() {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        if (warmup() < 0 || fixed() < 0 || warmup() + fixed() > epochs) {
            throw new IllegalArgumentException("warm-up (" + warmup() + ") and fixed (" + fixed() + ") epochs must fit in "
                    + epochs + " epochs: lower warmupEpochs/fixedEpochs or raise epochs");
        }
        if (budgetRatio != null && !(budgetRatio > 0 && budgetRatio <= 1)) {
            throw new IllegalArgumentException("budgetRatio must be in (0, 1], got " + budgetRatio);
        }
        if (!(learningRate > 0) || momentum < 0 || momentum >= 1 || weightDecay < 0 || gradientClipNorm < 0) {
            throw new IllegalArgumentException("learning rate must be positive, momentum in [0, 1), weight decay and "
                    + "gradient clip norm >= 0; got " + learningRate + ", " + momentum + ", " + weightDecay + ", "
                    + gradientClipNorm);
        }
        if ((gateTemperature != null && !(gateTemperature > 0)) || (alphaLearningRate != null && !(alphaLearningRate >= 0))
                || alphaWeightDecay < 0) {
            throw new IllegalArgumentException("gate temperature must be positive, alpha learning rate and weight decay "
                    + ">= 0; got " + gateTemperature + ", " + alphaLearningRate + ", " + alphaWeightDecay);
        }
        if (calibrationBatches < 0) {
            throw new IllegalArgumentException("calibrationBatches must be >= 0, got " + calibrationBatches);
        }
    }

    @Override
    public SearchConfig clone() {
        try {
            return (SearchConfig) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "SearchConfig(" + (budget != null ? "budget " + budget : "budget ratio " + budgetRatio) + ", identity "
                + identity + ", epochs " + epochs + " = " + warmup() + " warm-up + " + searchEpochs() + " search + "
                + fixed() + " fixed, seed " + seed + ")";
    }
}
