package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterCreator;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.repnas.search.data.EpochDataSource;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The one-stage RepNAS search (paper Algorithm 1) as a training driver: warm-up epochs with random architectures and
 * alpha frozen, search epochs with alpha trained, then the architecture fixed (deterministic top C of alpha, BatchNorm
 * running statistics reset) and trained to the end. The resulting network fuses without retraining.
 *
 * <p>It checkpoints after every epoch (and between any two iterations on {@link #requestCheckpoint()}): weights, alpha,
 * running statistics, both updaters' states, the current masks, the iteration count (the noise is a function of it)
 * and the position in the schedule. {@link #resume} continues bit-exactly on CPU.
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

    /** What a checkpoint holds besides the network. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class State {
        SearchConfig config;
        String modelType;
        int epoch;
        long batchesDone;
        double lossSum;
        long lossCount;
        double secondsInEpoch;
        double secondsTotal;
        Architecture fixedArchitecture;
        List<EpochRecord> history = new ArrayList<>();
    }

    /** The searched network (fixed architecture, trained), its architecture and the per-epoch history. */
    public record Result(Model model, Architecture architecture, List<EpochRecord> history) {
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String MODEL_FILE = "model.zip";
    private static final String STATE_FILE = "state.json";
    private static final String LATEST = "latest";

    private final SearchConfig config;
    private final Path checkpointDir;
    private final PrintStream log;
    private final BranchBudgetListener budget;
    private final AtomicBoolean checkpointRequested = new AtomicBoolean();
    private State state;
    private String lastCheckpoint = "none yet";

    private RepNasSearch(SearchConfig config, Path checkpointDir, PrintStream log) {
        config.validate();
        this.config = config;
        this.checkpointDir = checkpointDir;
        this.log = log;
        this.budget = new BranchBudgetListener(config.budget, config.seed);
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

    /** Starts a search on a network built with the candidate branches (e.g. BlockPreset.ALL). */
    public Result run(Model model, EpochDataSource train, DataSetIterator test) throws IOException {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        BranchBudget.check(blocks.stream().map(b -> b.conf().getPresentBranches()).collect(Collectors.toList()), config.budget);
        if (checkpointDir != null && Files.exists(checkpointDir.resolve(LATEST))) {
            throw new IllegalStateException("Checkpoint folder " + checkpointDir + " already holds a search: resume it with "
                    + "RepNasSearch.resume(...) (or --resume), or choose another folder; nothing there was overwritten.");
        }
        if (config.configureOptimizer) {
            configureWeightOptimizer(model, config, train.batchesPerEpoch());
        }
        state = new State();
        state.config = config;
        state.modelType = model instanceof ComputationGraph ? "ComputationGraph" : "MultiLayerNetwork";
        return loop(model, train, test);
    }

    /** Continues the search saved in {@code checkpointDir} exactly where it stopped. */
    public static Result resume(Path checkpointDir, EpochDataSource train, DataSetIterator test, PrintStream log)
            throws IOException {
        Path latest = latestCheckpoint(checkpointDir);
        State state = JSON.readValue(latest.resolve(STATE_FILE).toFile(), State.class);
        File modelFile = latest.resolve(MODEL_FILE).toFile();
        Model model = "ComputationGraph".equals(state.modelType)
                ? ModelSerializer.restoreComputationGraph(modelFile, true)
                : ModelSerializer.restoreMultiLayerNetwork(modelFile, true);
        RepNasSearch search = new RepNasSearch(state.config, checkpointDir, log);
        search.state = state;
        search.lastCheckpoint = latest.getFileName().toString();
        log.printf("resuming %s from %s (epoch %d, batch %d)%n", state.config.modelName, latest, state.epoch + 1, state.batchesDone);
        return search.loop(model, train, test);
    }

    private Result loop(Model model, EpochDataSource train, DataSetIterator test) throws IOException {
        int epochs = config.epochs;
        while (state.epoch < epochs) {
            int e = state.epoch;
            BranchBudgetListener.Mode phase = config.phase(e);
            if (phase == BranchBudgetListener.Mode.FIXED && state.fixedArchitecture == null) {
                fixArchitecture(model);
            }
            budget.setMode(phase);
            long start = System.nanoTime();
            DataSetIterator it = train.iterator(e);
            for (long skip = 0; skip < state.batchesDone && it.hasNext(); skip++) {
                it.next();                                  // resuming inside an epoch
            }
            while (it.hasNext()) {
                DataSet batch = it.next();
                if (phase != BranchBudgetListener.Mode.FIXED) {
                    budget.prepare(model);
                }
                fit(model, batch);
                double loss = model.score();
                if (!Double.isFinite(loss)) {
                    throw new NonFiniteLossException("The training loss is " + loss + " at epoch " + (e + 1) + ", batch "
                            + (state.batchesDone + 1) + ": the search stopped. The last good checkpoint (" + lastCheckpoint
                            + (checkpointDir == null ? "" : " in " + checkpointDir) + ") is intact. Lower the learning rate "
                            + "(now " + config.learningRate + ") or check the data for NaNs, then resume from it.");
                }
                state.lossSum += loss;
                state.lossCount++;
                state.batchesDone++;
                if (checkpointRequested.getAndSet(false)) {
                    state.secondsInEpoch += (System.nanoTime() - start) / 1e9;
                    start = System.nanoTime();
                    checkpoint(model);
                }
            }
            incrementEpochCount(model);
            state.secondsInEpoch += (System.nanoTime() - start) / 1e9;
            EpochRecord rec = endOfEpoch(model, train, test, e, phase);
            state.history.add(rec);
            state.secondsTotal += rec.seconds;
            state.epoch++;
            state.batchesDone = 0;
            state.lossSum = 0;
            state.lossCount = 0;
            state.secondsInEpoch = 0;
            log.println(progressLine(rec));
            if (checkpointDir != null && (config.checkpointEveryEpoch || state.epoch == epochs)) {
                checkpoint(model);
            }
        }
        Architecture arch;
        if (state.fixedArchitecture != null) {
            arch = state.fixedArchitecture;
        } else {
            // no fixed phase: the final architecture keeps statistics estimated for it, so that it fuses well
            arch = currentTopAlpha(model);
            calibrate(model, train, Math.max(0, epochs - 1));
        }
        if (checkpointDir != null) {
            arch.write(checkpointDir.resolve("architecture.json"));
        }
        return new Result(model, arch, state.history);
    }

    private void fixArchitecture(Model model) throws IOException {
        budget.applyTopAlpha(model);
        state.fixedArchitecture = Architecture.of(model, config.modelName);
        resetRunningStatistics(model);
        log.println("architecture fixed (deterministic top " + config.budget + " of alpha): " + keptPerBranch(model));
        if (checkpointDir != null) {
            state.fixedArchitecture.write(checkpointDir.resolve("architecture.json"));
        }
    }

    private Architecture currentTopAlpha(Model model) {
        budget.applyTopAlpha(model);
        return Architecture.of(model, config.modelName);
    }

    private EpochRecord endOfEpoch(Model model, EpochDataSource train, DataSetIterator test, int e,
                                   BranchBudgetListener.Mode phase) {
        Map<INDArray, INDArray> saved = null;
        if (phase != BranchBudgetListener.Mode.FIXED) {
            budget.applyTopAlpha(model);           // evaluate (and record) the architecture found so far
            if (test != null) {
                saved = runningStatistics(model);
                calibrate(model, train, e);
            }
        }
        EpochRecord r = endOfEpochRecord(model, test, e, phase);
        if (saved != null) {
            saved.forEach(INDArray::assign);      // evaluation leaves no trace in the network
        }
        return r;
    }

    private EpochRecord endOfEpochRecord(Model model, DataSetIterator test, int e, BranchBudgetListener.Mode phase) {
        EpochRecord r = new EpochRecord();
        r.epoch = e + 1;
        r.phase = phase.name().toLowerCase();
        r.loss = state.lossCount == 0 ? Double.NaN : state.lossSum / state.lossCount;
        r.seconds = state.secondsInEpoch;
        if (test != null) {
            test.reset();
            Evaluation ev = model instanceof MultiLayerNetwork m ? m.evaluate(test) : ((ComputationGraph) model).evaluate(test);
            r.testAccuracy = ev.accuracy();
        }
        r.keptPerBranch = keptPerBranch(model);
        r.kept = new ArrayList<>();
        r.alpha = new ArrayList<>();
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            r.kept.add(b.conf().getActiveBranches().stream().map(Branch::id).collect(Collectors.toList()));
            Map<String, Double> a = new LinkedHashMap<>();
            for (Branch br : b.conf().getPresentBranches()) a.put(br.id(), b.layer().alpha(br));
            r.alpha.add(a);
        }
        return r;
    }

    private String progressLine(EpochRecord r) {
        int done = state.epoch;
        double perEpoch = state.secondsTotal / Math.max(1, state.history.size());
        double eta = perEpoch * (config.epochs - done);
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

    static Map<String, Integer> keptPerBranch(Model model) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Branch b : Branch.values()) counts.put(b.id(), 0);
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            for (Branch br : b.conf().getActiveBranches()) counts.merge(br.id(), 1, Integer::sum);
        }
        return counts;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Training helpers

    private static void fit(Model model, DataSet batch) {
        if (model instanceof MultiLayerNetwork m) m.fit(batch);
        else ((ComputationGraph) model).fit(batch);
    }

    private static void incrementEpochCount(Model model) {
        if (model instanceof MultiLayerNetwork m) m.incrementEpochCount();
        else ((ComputationGraph) model).incrementEpochCount();
    }

    /** Copies of every ODBB running statistic, keyed by the parameter array to restore them into. */
    static Map<INDArray, INDArray> runningStatistics(Model model) {
        Map<INDArray, INDArray> copies = new java.util.IdentityHashMap<>();
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            for (Map.Entry<String, INDArray> p : b.layer().paramTable().entrySet()) {
                if (OdbbParams.role(p.getKey()).isRunningStatistic()) copies.put(p.getValue(), p.getValue().dup());
            }
        }
        return copies;
    }

    /**
     * BatchNorm recalibration for the current architecture: running statistics re-estimated from the first training
     * batches of epoch e (a supernet's running statistics average over every sampled architecture).
     */
    private void calibrate(Model model, EpochDataSource train, int e) {
        if (config.calibrationBatches <= 0) return;
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        blocks.forEach(b -> b.layer().startCalibration());
        DataSetIterator it = train.iterator(e);
        for (int i = 0; i < config.calibrationBatches && it.hasNext(); i++) {
            INDArray x = it.next().getFeatures();
            if (model instanceof MultiLayerNetwork m) m.output(x, true);
            else ((ComputationGraph) model).output(true, x);
        }
        blocks.forEach(b -> b.layer().finishCalibration());
    }

    /** Running statistics of every ODBB back to mean 0, variance 1 (the architecture changed under them). */
    static void resetRunningStatistics(Model model) {
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            for (Map.Entry<String, INDArray> p : b.layer().paramTable().entrySet()) {
                switch (OdbbParams.role(p.getKey())) {
                    case RUNNING_MEAN -> p.getValue().assign(0);
                    case RUNNING_VAR -> p.getValue().assign(1);
                    default -> { }
                }
            }
        }
    }

    /**
     * The paper's weight training (Table 1): SGD with momentum (DL4J's Nesterovs), cosine-decayed learning rate,
     * weight decay on convolution and dense weights only (never BatchNorm, biases or alpha; alpha keeps its own updater).
     */
    static void configureWeightOptimizer(Model model, SearchConfig c, long batchesPerEpoch) {
        CosineSchedule lr = new CosineSchedule(c.learningRate, Math.max(1, batchesPerEpoch * c.epochs), 0.0);
        Nesterovs updater = new Nesterovs(lr, c.momentum);
        List<Regularization> decay = c.weightDecay > 0 ? List.of(new WeightDecay(c.weightDecay, true)) : List.of();
        for (Layer l : layerConfs(model)) {
            if (l instanceof OdbbConvLayer o) {
                o.setUpdater(updater.clone());
                o.setRegularization(new ArrayList<>(decay));
                o.setRegularizationBias(new ArrayList<>());
            } else if (l instanceof BaseLayer bl) {
                bl.setIUpdater(updater.clone());
                bl.setBiasUpdater(null);
                bl.setRegularization(bl instanceof BatchNormalization ? new ArrayList<>() : new ArrayList<>(decay));
                bl.setRegularizationBias(new ArrayList<>());
            }
        }
        if (model instanceof MultiLayerNetwork m) m.setUpdater(UpdaterCreator.getUpdater(m));
        else ((ComputationGraph) model).setUpdater(new ComputationGraphUpdater((ComputationGraph) model));
    }

    private static List<Layer> layerConfs(Model model) {
        List<Layer> out = new ArrayList<>();
        if (model instanceof MultiLayerNetwork m) {
            for (NeuralNetConfiguration c : m.getLayerWiseConfigurations().getConfs()) out.add(c.getLayer());
        } else {
            for (org.deeplearning4j.nn.api.Layer l : ((ComputationGraph) model).getLayers()) out.add(l.conf().getLayer());
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Checkpoints: a new folder per checkpoint, renamed into place when complete, then "latest" switched atomically.

    private void checkpoint(Model model) throws IOException {
        if (checkpointDir == null) {
            return;
        }
        Files.createDirectories(checkpointDir);
        String name = String.format("checkpoint-e%04d-b%06d", state.epoch, state.batchesDone);
        Path tmp = Files.createTempDirectory(checkpointDir, name + ".tmp");
        ModelSerializer.writeModel(model, tmp.resolve(MODEL_FILE).toFile(), true);
        JSON.writeValue(tmp.resolve(STATE_FILE).toFile(), state);
        Path target = checkpointDir.resolve(name);
        deleteRecursively(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        writeAtomically(checkpointDir.resolve(LATEST), name);
        writeAtomically(checkpointDir.resolve("history.json"), JSON.writeValueAsString(state.history));
        lastCheckpoint = name;
        // keep this checkpoint and the one before it
        try (Stream<Path> s = Files.list(checkpointDir)) {
            List<Path> old = s.filter(p -> p.getFileName().toString().startsWith("checkpoint-") && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).collect(Collectors.toList());
            for (int i = 0; i < old.size() - 2; i++) deleteRecursively(old.get(i));
        }
    }

    static Path latestCheckpoint(Path dir) throws IOException {
        Path latest = dir.resolve(LATEST);
        if (!Files.exists(latest)) {
            throw new NoSuchFileException(dir.toString(), null, "no search checkpoint here (no '" + LATEST
                    + "' file): start a new search, or point to the folder a search wrote its checkpoints to");
        }
        Path cp = dir.resolve(Files.readString(latest).trim());
        if (!Files.isRegularFile(cp.resolve(MODEL_FILE)) || !Files.isRegularFile(cp.resolve(STATE_FILE))) {
            throw new NoSuchFileException(cp.toString(), null, "checkpoint is incomplete (needs " + MODEL_FILE + " and "
                    + STATE_FILE + ")");
        }
        return cp;
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) Files.delete(q);
        }
    }

    /** The present-branch sets of a model's blocks. */
    static List<EnumSet<Branch>> present(Model model) {
        return OdbbBlocks.require(model).stream().map(b -> b.conf().getPresentBranches()).collect(Collectors.toList());
    }
}
