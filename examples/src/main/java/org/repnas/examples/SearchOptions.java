package org.repnas.examples;

import org.repnas.search.IdentityMode;
import org.repnas.search.SearchConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The search options every example main shares (a picocli mixin); each main passes its own defaults to the
 * constructor, and --help shows them.
 */
final class SearchOptions {
    @Option(names = "--out", paramLabel = "DIR", description = "output folder (checkpoints in OUT/search)")
    Path out;

    @Option(names = "--epochs", paramLabel = "N",
            description = "epochs (the official proportions: warm-up 10%% with alpha frozen, search, fixed architecture "
                    + "for the last two thirds)")
    int epochs;

    @Option(names = "--warmup-epochs", paramLabel = "N", description = "warm-up epochs (default 10%% of --epochs)")
    Integer warmupEpochs;

    @Option(names = "--fixed-epochs", paramLabel = "N",
            description = "epochs training the fixed architecture at the end (default two thirds of --epochs)")
    Integer fixedEpochs;

    @Option(names = "--identity", paramLabel = "MODE", defaultValue = "ALWAYS_ON",
            description = "identity branch: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}: always kept, outside the "
                    + "budget, as the official code)")
    IdentityMode identity;

    @Option(names = "--alpha-lr", paramLabel = "RATE",
            description = "learning rate of alpha (default: scaled to the number of search iterations, never below 1e-4)")
    Double alphaLr;

    @Option(names = "--official", description = "the official RepNAS recipe: budget int(0.34 x searchable branches) "
            + "unless --budget, SGD with plain momentum, gradient clipping at 5, alpha lr 1e-4 with decaying L2 5e-4")
    boolean official;

    @Option(names = "--batch", paramLabel = "N", description = "minibatch size")
    int batch;

    @Option(names = "--budget", paramLabel = "C",
            description = "branch budget C: branches kept in the whole network (identity, when always on, not counted)")
    Integer budget;

    @Option(names = "--lr", paramLabel = "RATE", description = "initial learning rate of the weights (SGD momentum 0.9, cosine decay)")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "1e-4",
            description = "weight decay of convolution and dense weights")
    double weightDecay;

    @Option(names = "--seed", paramLabel = "N", description = "random seed")
    long seed = 42;

    @Option(names = "--resume", description = "continue the search checkpointed in OUT/search")
    boolean resume;

    /** For picocli, which fills a mixin it did not get. */
    SearchOptions() {
        this("runs/search", 1, 64, null, 0.1);
    }

    SearchOptions(String out, int epochs, int batch, Integer budget, double lr) {
        this.out = Path.of(out);
        this.epochs = epochs;
        this.batch = batch;
        this.budget = budget;
        this.lr = lr;
    }

    /**
     * The search configuration these options give: the official recipe with --official (its budget ratio unless
     * --budget), else a budget of --budget (0 if none, for the caller to set).
     */
    SearchConfig config(String modelName) {
        SearchConfig c = official ? SearchConfig.official() : SearchConfig.budget(budget == null ? 0 : budget);
        c.epochs(epochs).seed(seed).configureOptimizer(true).learningRate(lr).weightDecay(weightDecay).identity(identity)
                .modelName(modelName);
        if (budget != null) c.withBudget(budget);
        if (alphaLr != null) c.alphaLearningRate(alphaLr);
        if (warmupEpochs != null) c.warmupEpochs(warmupEpochs);
        if (fixedEpochs != null) c.fixedEpochs(fixedEpochs);
        return c;
    }
}
