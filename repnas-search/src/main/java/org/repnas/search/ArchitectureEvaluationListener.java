package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * At the end of every epoch, evaluates the architecture the search has found so far ({@link ArchitectureEvaluator}:
 * top C of alpha, BatchNorm recalibrated, then the network restored) and logs one line. The results are kept
 * ({@link #results()}) and handed to an optional consumer with the epoch number.
 *
 * <p>It evaluates the network it is attached to, at the end of {@code fit(iterator)} epochs and EarlyStoppingTrainer
 * epochs; ParallelWrapper and Spark do not call epoch events on their workers: evaluate the main network between
 * epochs there (see the distributed module).
 */
public class ArchitectureEvaluationListener extends BaseTrainingListener {
    private static final Logger log = LoggerFactory.getLogger(ArchitectureEvaluationListener.class);

    private final ArchitectureEvaluator evaluator;
    private final BiConsumer<Integer, ArchitectureEvaluator.Result> consumer;
    private final List<ArchitectureEvaluator.Result> results = Collections.synchronizedList(new ArrayList<>());

    public ArchitectureEvaluationListener(ArchitectureEvaluator evaluator) {
        this(evaluator, null);
    }

    /** @param consumer called with (epoch, result) after each evaluation; may be null */
    public ArchitectureEvaluationListener(ArchitectureEvaluator evaluator, BiConsumer<Integer, ArchitectureEvaluator.Result> consumer) {
        this.evaluator = evaluator;
        this.consumer = consumer;
    }

    @Override
    public void onEpochEnd(Model model) {
        int epoch = Networks.epochCount(model);
        ArchitectureEvaluator.Result r = evaluator.evaluate(model);
        results.add(r);
        log.info("RepNAS epoch {} ({}): architecture so far, test accuracy {}, kept {}", epoch + 1,
                r.phase().name().toLowerCase(), String.format("%.4f", r.accuracy()), r.keptPerBranch());
        if (consumer != null) consumer.accept(epoch, r);
    }

    /** The evaluations so far, one per epoch ended. */
    public List<ArchitectureEvaluator.Result> results() {
        synchronized (results) {
            return List.copyOf(results);
        }
    }
}
