package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.search.data.EpochDataSource;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The paper's random-search baseline (Section 4.1): N architectures drawn uniformly at budget C, each trained briefly
 * from scratch, the best (by test accuracy) retrained for the full schedule (paper: 25 architectures, 100 epochs each,
 * then 600).
 */
public final class RandomSearch {

    /** One sampled architecture and its short-training accuracy. */
    public record Candidate(Architecture architecture, double accuracy) {
    }

    public record Result(List<Candidate> candidates, Candidate best, Model retrained, double retrainedAccuracy) {
    }

    private RandomSearch() {
    }

    /**
     * C branches chosen uniformly among the searchable ones, every block keeping at least one (the search's rule);
     * identity, where the config keeps it always on, is added outside the budget.
     */
    public static Architecture sample(Model supernet, SearchConfig config, Random rng, String modelName) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(supernet);
        List<EnumSet<Branch>> searchable = blocks.stream().map(b -> config.searchable(b.conf().getPresentBranches()))
                .collect(Collectors.toList());
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < searchable.size(); i++) {
            double[] s = new double[Branch.values().length];
            for (int j = 0; j < s.length; j++) s[j] = rng.nextDouble();
            scores.add(s);
        }
        int budget = config.resolveBudget(blocks.stream().map(b -> b.conf().getPresentBranches()).toList());
        List<EnumSet<Branch>> kept = BranchBudget.keep(searchable, scores, budget);
        List<Architecture.BlockArchitecture> out = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) {
            EnumSet<Branch> k = kept.get(i);
            if (config.identityAlwaysOn() && blocks.get(i).conf().getPresentBranches().contains(Branch.IDENTITY)) {
                k.add(Branch.IDENTITY);
            }
            out.add(new Architecture.BlockArchitecture(blocks.get(i).name(),
                    k.stream().map(Branch::id).collect(Collectors.toList()), null));
        }
        return new Architecture(modelName, out.stream().mapToInt(b -> b.kept().size()).sum(), out);
    }

    /** As {@link #sample(Model, SearchConfig, Random, String)}, identity searched like any branch. */
    public static Architecture sample(Model supernet, int budget, Random rng, String modelName) {
        return sample(supernet, SearchConfig.budget(budget).identity(IdentityMode.SEARCHED), rng, modelName);
    }

    /**
     * @param freshModel   builds a new, initialised supernet (all candidate branches) each time it is called
     * @param candidates   N
     * @param shortEpochs  training of each candidate
     * @param fullEpochs   retraining of the best (0: none)
     */
    public static Result run(Supplier<Model> freshModel, EpochDataSource train, DataSetIterator test, int budget,
                             int candidates, int shortEpochs, int fullEpochs, long seed, PrintStream log) {
        Random rng = new Random(seed);
        List<Candidate> results = new ArrayList<>();
        for (int n = 0; n < candidates; n++) {
            Model m = freshModel.get();
            Architecture a = sample(m, budget, rng, "random-" + n);
            a.applyTo(m);
            double acc = train(m, train, test, shortEpochs);
            results.add(new Candidate(a, acc));
            log.printf("random architecture %d/%d: accuracy %.4f after %d epochs%n", n + 1, candidates, acc, shortEpochs);
        }
        Candidate best = results.stream().max((x, y) -> Double.compare(x.accuracy(), y.accuracy())).orElseThrow();
        Model retrained = null;
        double retrainedAcc = Double.NaN;
        if (fullEpochs > 0) {
            retrained = freshModel.get();
            best.architecture().applyTo(retrained);
            retrainedAcc = train(retrained, train, test, fullEpochs);
            log.printf("best random architecture retrained for %d epochs: accuracy %.4f%n", fullEpochs, retrainedAcc);
        }
        return new Result(results, best, retrained, retrainedAcc);
    }

    private static double train(Model m, EpochDataSource train, DataSetIterator test, int epochs) {
        for (int e = 0; e < epochs; e++) {
            DataSetIterator it = train.iterator(e);
            ((NeuralNetwork) m).fit(it);
        }
        test.reset();
        return ((NeuralNetwork) m).doEvaluation(test, new Evaluation())[0].accuracy();
    }
}
