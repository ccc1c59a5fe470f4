package org.repnas.search;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonIgnore;

/**
 * The search schedule and weight optimizer. Defaults follow the official RepNAS training (train.py): 30% of the
 * epochs sample architectures at random with alpha frozen (15 of 50 there), then alpha is searched; SGD with
 * momentum 0.9 (DL4J's Nesterovs), lr 0.1 with per-iteration cosine decay, weight decay 1e-4 on convolution and dense
 * weights only. The official code has no fixed phase by default; here the last 10% of the epochs (at least one) train
 * the fixed architecture, so that its BatchNorm statistics are its own and the result fuses without retraining.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public class SearchConfig {
    int budget;
    int epochs = 50;
    Integer warmupEpochs;
    Integer fixedEpochs;
    long seed = 42;
    boolean configureOptimizer = true;
    double learningRate = 0.1;
    double momentum = 0.9;
    double weightDecay = 1e-4;
    String modelName = "model";
    boolean checkpointEveryEpoch = true;
    int calibrationBatches = 20;

    public static SearchConfig budget(int budget) {
        SearchConfig c = new SearchConfig();
        c.budget = budget;
        return c;
    }

    public SearchConfig epochs(int e) { this.epochs = e; return this; }
    /** Epochs that sample at random with alpha frozen (default 30% of the epochs). */
    public SearchConfig warmupEpochs(int e) { this.warmupEpochs = e; return this; }
    /** Final epochs that train the fixed architecture (default 10% of the epochs, at least 1). */
    public SearchConfig fixedEpochs(int e) { this.fixedEpochs = e; return this; }
    public SearchConfig seed(long s) { this.seed = s; return this; }
    /** false: keep the network's own updaters and regularization. */
    public SearchConfig configureOptimizer(boolean b) { this.configureOptimizer = b; return this; }
    public SearchConfig learningRate(double lr) { this.learningRate = lr; return this; }
    public SearchConfig momentum(double m) { this.momentum = m; return this; }
    public SearchConfig weightDecay(double wd) { this.weightDecay = wd; return this; }
    public SearchConfig modelName(String n) { this.modelName = n; return this; }
    /** Replaces the budget C. */
    public SearchConfig withBudget(int c) { this.budget = c; return this; }
    public SearchConfig checkpointEveryEpoch(boolean b) { this.checkpointEveryEpoch = b; return this; }
    /**
     * Training batches used to re-estimate BatchNorm statistics before evaluating the architecture found so far
     * (warm-up and search epochs; the running statistics mix many sampled architectures). 0: no calibration.
     */
    public SearchConfig calibrationBatches(int n) { this.calibrationBatches = n; return this; }

    public int getBudget() { return budget; }
    public int getEpochs() { return epochs; }
    public long getSeed() { return seed; }
    public String getModelName() { return modelName; }

    @JsonIgnore
    public int warmup() {
        return warmupEpochs != null ? warmupEpochs : (int) Math.round(0.3 * epochs);
    }

    @JsonIgnore
    public int fixed() {
        return fixedEpochs != null ? fixedEpochs : Math.max(1, (int) Math.round(0.1 * epochs));
    }

    /** The phase of epoch e: warm-up [0, W), search [W, E - F), fixed [E - F, E). */
    public BranchBudgetListener.Mode phase(int epoch) {
        if (epoch >= epochs - fixed()) return BranchBudgetListener.Mode.FIXED;
        if (epoch < warmup()) return BranchBudgetListener.Mode.WARMUP;
        return BranchBudgetListener.Mode.SEARCH;
    }

    void validate() {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        if (warmup() < 0 || fixed() < 0 || warmup() + fixed() > epochs) {
            throw new IllegalArgumentException("warm-up (" + warmup() + ") and fixed (" + fixed() + ") epochs must fit in "
                    + epochs + " epochs");
        }
        if (!(learningRate > 0) || momentum < 0 || momentum >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("learning rate must be positive, momentum in [0, 1), weight decay >= 0; got "
                    + learningRate + ", " + momentum + ", " + weightDecay);
        }
    }
}
