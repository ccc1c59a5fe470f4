package org.repnas.search;

import org.deeplearning4j.earlystopping.scorecalc.ScoreCalculator;
import org.deeplearning4j.nn.api.Model;

/**
 * A score for DL4J's {@code EarlyStoppingTrainer}: the test accuracy of the architecture the search has found so far
 * (top C of alpha, BatchNorm recalibrated, the network restored afterwards; {@link ArchitectureEvaluator}). Higher is
 * better. The best model the trainer saves holds that epoch's weights and alpha; apply the architecture to it with
 * {@link RepNas#finish}.
 */
public class ArchitectureScoreCalculator implements ScoreCalculator<Model> {
    private final ArchitectureEvaluator evaluator;

    public ArchitectureScoreCalculator(ArchitectureEvaluator evaluator) {
        this.evaluator = evaluator;
    }

    @Override
    public double calculateScore(Model network) {
        return evaluator.evaluate(network).accuracy();
    }

    @Override
    public boolean minimizeScore() {
        return false;
    }
}
