package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.EpochIterator;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * A whole RepNAS search run as a program would: the {@link RepNas#listeners search listeners} on
 * {@code fit(iterator)}, epoch after epoch, plus what a long run needs around them: checkpoints (every epoch, and between
 * any two iterations on {@link #requestCheckpoint()}), exact resume ({@link #resume}), a progress line per epoch with an
 * ETA, history.json and architecture.json, and a stop with a clear message on a non-finite loss. The search itself is
 * the listeners': {@code net.fit(iterator, epochs)} with {@link RepNas#listeners} gives the same network.
 */
public final class RepNasSearch {

    /** One epoch of the search, as written to history.json. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    public static final class EpochRecord {
        public int epoch;
        public String phase;
        public double loss;
        public Double testAccuracy;
        public double seconds;
        public Map<String, Integer> keptPerBranch;
        public List<List<String>> kept;
        public List<Map<String, Double>> alpha;
    }

    /** The searched network (its architecture applied), the architecture and the per-epoch history. */
    public record Result(Model model, Architecture architecture, List<EpochRecord> history) {
    }

    private final SearchConfig config;
    private final SearchCheckpoints checkpoints;
    private final PrintStream log;
    private final AtomicBoolean checkpointRequested = new AtomicBoolean();
    private SearchState state;
    private String lastCheckpoint = "none yet";
    /** When the time of the epoch under way was last added to the state. */
    private long clock;

    private RepNasSearch(SearchConfig config, Path checkpointDir, PrintStream log) {
        config.validate();
        this.config = config;
        this.checkpoints = checkpointDir == null ? null : new SearchCheckpoints(checkpointDir);
        this.log = log;
    }

    /**
     * @param checkpointDir where checkpoints, history.json and architecture.json go (null: no files)
     * @param log           progress lines (one per epoch)
     */
    public static RepNasSearch create(SearchConfig config, Path checkpointDir, PrintStream log) {
        return new RepNasSearch(config, checkpointDir, log);
    }

    /** Saves a checkpoint after the current iteration (thread-safe; e.g. from a signal handler or another thread). */
    public void requestCheckpoint() {
        checkpointRequested.set(true);
    }

    /**
     * Starts a search on a network built with the candidate branches (e.g. BlockPreset.ALL), after
     * {@link RepNas#configure} (alpha's learning rate scaled to the run unless set). The network's own updaters and
     * regularization of the weights are kept unless the config asks otherwise ({@link SearchConfig#configureOptimizer}).
     */
    public Result run(Model model, EpochDataSource train, DataSetIterator test) throws IOException {
        new BranchBudgetListener(config).budget(model);           // an impossible budget fails before anything is written
        if (checkpoints != null && checkpoints.exist()) {
            throw new IllegalStateException("Checkpoint folder " + checkpoints.dir() + " already holds a search: resume it "
                    + "with RepNasSearch.resume(...) (or --resume), or choose another folder; nothing there was overwritten.");
        }
        RepNas.configure(model, config, train.batchesPerEpoch());
        state = new SearchState();
        state.config = config;
        state.modelType = Networks.typeName(model);
        return loop(model, train, test);
    }

    /**
     * Continues the search saved in {@code checkpointDir} exactly where it stopped (bit-exactly on CPU). A damaged
     * newest checkpoint is reported and the one before it used.
     */
    public static Result resume(Path checkpointDir, EpochDataSource train, DataSetIterator test, PrintStream log)
            throws IOException {
        SearchCheckpoints.Restored r = new SearchCheckpoints(checkpointDir).restoreLatest(log);
        Networks.setCounts(r.model(), r.state().iterations, r.state().epoch);
        RepNasSearch search = new RepNasSearch(r.state().config, checkpointDir, log);
        search.state = r.state();
        search.lastCheckpoint = r.from().getFileName().toString();
        log.printf("resuming %s from %s (epoch %d, batch %d)%n", r.state().config.modelName, r.from(), r.state().epoch + 1,
                r.state().batchesDone);
        return search.loop(r.model(), train, test);
    }

    private Result loop(Model model, EpochDataSource train, DataSetIterator test) throws IOException {
        DataSetIterator calibration = new EpochIterator(train, 0);
        ArchitectureEvaluator.Result[] evaluation = new ArchitectureEvaluator.Result[1];
        List<TrainingListener> search = new ArrayList<>();
        search.add(new Progress(model));             // first: a non-finite loss stops before the masks read alpha
        search.addAll(RepNas.listeners(config));
        if (test != null) {
            search.add(new ArchitectureEvaluationListener(RepNas.evaluator(config, test, calibration),
                    (epoch, r) -> evaluation[0] = r));
        }
        Collection<TrainingListener> own = new ArrayList<>(Networks.listeners(model));
        List<TrainingListener> all = new ArrayList<>(search);
        all.addAll(own);
        model.setListeners(all);
        try {
            while (state.epoch < config.epochs) {
                int e = state.epoch;
                clock = System.nanoTime();
                DataSetIterator it = train.iterator(e);
                for (long skip = 0; skip < state.batchesDone && it.hasNext(); skip++) {
                    it.next();                                      // resuming inside an epoch
                }
                evaluation[0] = null;
                ((NeuralNetwork) model).fit(it);
                tick();
                EpochRecord rec = record(model, e, evaluation[0]);
                state.history.add(rec);
                state.secondsTotal += rec.seconds;
                state.epoch++;
                state.batchesDone = 0;
                state.iterations = Networks.iterationCount(model);
                state.lossSum = 0;
                state.lossCount = 0;
                state.secondsInEpoch = 0;
                log.println(progressLine(rec));
                if (checkpoints != null && (config.checkpointEveryEpoch || state.epoch == config.epochs)) {
                    checkpoint(model);
                }
            }
        } finally {
            model.setListeners(own);
        }
        Architecture arch = RepNas.finish(model, config, calibration);
        if (checkpoints != null) {
            arch.write(checkpoints.dir().resolve("architecture.json"));
        }
        return new Result(model, arch, state.history);
    }

    private EpochRecord record(Model model, int epoch, ArchitectureEvaluator.Result r) {
        EpochRecord rec = new EpochRecord();
        rec.epoch = epoch + 1;
        rec.phase = config.phase(epoch).name().toLowerCase();
        rec.loss = state.lossCount == 0 ? Double.NaN : state.lossSum / state.lossCount;
        rec.seconds = state.secondsInEpoch;
        List<java.util.EnumSet<Branch>> kept;
        List<Map<String, Double>> alpha;
        if (r != null) {
            rec.testAccuracy = r.accuracy();
            kept = r.kept();
            alpha = r.alpha();
        } else {
            BranchBudgetListener b = new BranchBudgetListener(config);
            kept = OdbbBlocks.require(model).get(0).conf().isArchitectureFixed()
                    ? OdbbBlocks.require(model).stream().map(x -> x.conf().getActiveBranches()).toList() : b.topAlpha(model);
            alpha = BranchBudgetListener.alphas(model);
        }
        rec.kept = kept.stream().map(s -> s.stream().map(Branch::id).collect(Collectors.toList())).toList();
        rec.keptPerBranch = new ArchitectureEvaluator.Result(null, 0, kept, alpha).keptPerBranch();
        rec.alpha = alpha;
        return rec;
    }

    private String progressLine(EpochRecord r) {
        double perEpoch = state.secondsTotal / Math.max(1, state.history.size());
        double eta = perEpoch * (config.epochs - state.epoch);
        StringBuilder kept = new StringBuilder();
        r.keptPerBranch.forEach((k, v) -> kept.append(' ').append(k).append(' ').append(v));
        return String.format("epoch %d/%d %-6s loss %.4f%s | kept%s | %.1f s, ETA %s", r.epoch, config.epochs, r.phase,
                r.loss, r.testAccuracy == null ? "" : String.format(" test acc %.4f", r.testAccuracy), kept, r.seconds,
                duration(eta));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /** Adds the time since the last tick to the epoch under way. */
    private void tick() {
        long now = System.nanoTime();
        state.secondsInEpoch += (now - clock) / 1e9;
        clock = now;
    }

    private void checkpoint(Model model) throws IOException {
        if (checkpoints != null) {
            lastCheckpoint = checkpoints.write(model, state);
        }
    }

    /**
     * The driver's bookkeeping on every iteration: the epoch's loss, a stop on a non-finite loss (before anything reads
     * the diverged alpha), and checkpoints requested between iterations.
     */
    private final class Progress extends BaseTrainingListener {
        private final Model model;

        Progress(Model model) {
            this.model = model;
        }

        @Override
        public void iterationDone(Model m, int iteration, int epoch) {
            double loss = m.score();
            if (!Double.isFinite(loss)) {
                throw new NonFiniteLossException("The training loss is " + loss + " at epoch " + (epoch + 1) + ", batch "
                        + (state.batchesDone + 1) + ": the search stopped. The last good checkpoint (" + lastCheckpoint
                        + (checkpoints == null ? "" : " in " + checkpoints.dir()) + ") is intact. Lower the learning rate "
                        + "(now " + config.learningRate + ") or check the data for NaNs, then resume from it.");
            }
            state.lossSum += loss;
            state.lossCount++;
            state.batchesDone++;
            state.iterations = iteration + 1;
            if (checkpointRequested.getAndSet(false)) {
                tick();
                try {
                    checkpoint(model);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
