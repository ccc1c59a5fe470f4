package org.repnas.examples.experiments;

import org.deeplearning4j.nn.api.NeuralNetwork;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.repnas.examples.Timing;
import org.repnas.examples.data.Cifar10Binary;
import org.repnas.examples.data.FashionMnist;
import org.repnas.io.AtomicFiles;
import org.repnas.layers.Architecture;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.search.RandomSearch;
import org.repnas.search.RepNas;
import org.repnas.search.RepNasSearch;
import org.repnas.search.SearchConfig;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.zoo.FashionMnistNet;
import org.repnas.zoo.OdbbZooModel;
import org.repnas.zoo.Vgg16Cifar10;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * The paper's Table 3 on the data a user has: at equal epochs, hand-designed blocks (PLAIN, ACB, REPVGG, DBB, each with
 * its own branch count), RANDOM architectures drawn at a budget C, the one-stage search (ODBB) and the architecture it
 * found retrained from scratch (ODBB_RETRAIN), for C = ACB's branch count and a smaller C, over several seeds.
 * Fashion-MNIST (FashionMnistNet) by default; CIFAR-10 (VGG-16) when --data holds its binary files.
 *
 * <p>Every finished run is kept as a JSON file under --runs and skipped when the experiment starts again, so a table
 * can be completed in several sittings; the outputs (search-quality.md, .json, .png under --out) are written from all
 * finished runs at the end of every run.
 */
@Command(name = "SearchQualityExperiment", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Does the search find better blocks than chance and than hand design? The paper's Table 3 on "
                + "Fashion-MNIST (or CIFAR-10 with --data), resumable run by run.")
public final class SearchQualityExperiment implements Callable<Integer> {

    /** The rows of the table. */
    public enum Method { PLAIN, ACB, REPVGG, DBB, RANDOM, ODBB, ODBB_RETRAIN }

    @Option(names = "--data", description = "CIFAR-10 binary folder (data_batch_1.bin ...) or a Fashion-MNIST IDX folder; "
            + "default: Debian's Fashion-MNIST, else the subset shipped in the examples jar")
    Path data;
    @Option(names = "--train-size", defaultValue = "10000", description = "training images (0: all; default ${DEFAULT-VALUE})")
    int trainSize;
    @Option(names = "--test-size", defaultValue = "0", description = "test images (0: all; default ${DEFAULT-VALUE})")
    int testSize;
    @Option(names = "--epochs", defaultValue = "6", description = "epochs of every run (default ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--batch", defaultValue = "64", description = "minibatch size (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--lr", defaultValue = "0.05", description = "initial learning rate, SGD momentum 0.9, cosine "
            + "(default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seeds", defaultValue = "3", description = "seeds per row (default ${DEFAULT-VALUE})")
    int seeds;
    @Option(names = "--budgets", split = ",", description = "branches kept by RANDOM and ODBB (identity included); "
            + "default: ACB's count and two thirds of it")
    int[] budgets;
    @Option(names = "--methods", split = ",", description = "rows to run (default all: ${COMPLETION-CANDIDATES})")
    Method[] methods;
    @Option(names = "--alpha-lr", description = "alpha learning rate of the search (default: scaled to the run, "
            + "see SearchConfig)")
    Double alphaLr;
    @Option(names = "--lr-schedule", description = "the search's learning-rate schedule: ${COMPLETION-CANDIDATES} "
            + "(default: SearchConfig's)")
    SearchConfig.LearningRateSchedule lrSchedule;
    @Option(names = "--out", defaultValue = "docs/results", description = "where search-quality.md/.json/.png go "
            + "(default ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--runs", defaultValue = "runs/search-quality", description = "one JSON per finished run; finished "
            + "runs are skipped (default ${DEFAULT-VALUE})")
    Path runs;

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One finished run. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Run(@JsonProperty("method") Method method, @JsonProperty("budget") int budget, @JsonProperty("seed") int seed,
               @JsonProperty("branches") int branches, @JsonProperty("accuracy") double accuracy,
               @JsonProperty("seconds") double seconds, @JsonProperty("fusedLatencyMs") double fusedLatencyMs,
               @JsonProperty("architecture") Architecture architecture,
               @JsonProperty("alphaStd") Double alphaStd) {
    }

    private DataSet train;
    private DataSet test;
    private String dataName;
    private boolean cifar;
    private final PrintStream log = System.out;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; returns the exit code (0 done, 2 bad input). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new SearchQualityExperiment());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IOException || e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        loadData();
        int acb = branchesOf(preset(BlockPreset.ACB, 0));
        int[] cs = budgets != null ? budgets : new int[]{acb, Math.round(acb * 2f / 3)};
        checkBudgets(cs);
        List<Method> rows = methods == null ? Arrays.asList(Method.values()) : Arrays.asList(methods);
        log.printf("%s: %d training and %d test images, %d epochs, batch %d, lr %.3f, %d seeds, budgets %s; runs in %s%n",
                dataName, train.numExamples(), test.numExamples(), epochs, batch, lr, seeds, Arrays.toString(cs), runs);
        Files.createDirectories(runs);
        for (int seed = 0; seed < seeds; seed++) {
            for (Method m : rows) {
                if (m == Method.RANDOM || m == Method.ODBB || m == Method.ODBB_RETRAIN) {
                    for (int c : cs) runOnce(m, c, seed);
                } else {
                    runOnce(m, 0, seed);
                }
            }
        }
        SearchQualityReport.write(finishedRuns(), dataName, train.numExamples(), epochs, out, command());
        log.println("wrote " + out.resolve("search-quality.md") + ", search-quality.json, search-quality.png");
        return 0;
    }

    private void runOnce(Method m, int c, int seed) throws IOException {
        Path file = runs.resolve(runName(m, c, seed) + ".json");
        if (Files.exists(file)) {
            log.println("done already: " + file.getFileName());
            return;
        }
        long start = System.nanoTime();
        Trained t = switch (m) {
            case PLAIN, ACB, REPVGG, DBB -> train(preset(BlockPreset.valueOf(m.name()), seed), seed, null);
            case RANDOM -> {
                MultiLayerNetwork supernet = preset(BlockPreset.ALL, seed);
                Architecture a = RandomSearch.sample(supernet, searchConfig(c, seed, supernet), new Random(1000L + seed), "random");
                yield train(withArchitecture(a, seed), seed, a);
            }
            case ODBB -> search(c, seed);
            case ODBB_RETRAIN -> {
                Path searched = runs.resolve(runName(Method.ODBB, c, seed) + ".json");
                if (!Files.exists(searched)) runOnce(Method.ODBB, c, seed);
                Architecture a = JSON.readValue(searched.toFile(), Run.class).architecture();
                yield train(withArchitecture(a, seed), seed, a);
            }
        };
        double seconds = (System.nanoTime() - start) / 1e9;
        Run r = new Run(m, c, seed, branchesOf(t.net()), accuracy(t.net()), seconds, fusedLatency(t.net()), t.architecture(),
                t.alphaStd());
        AtomicFiles.writeString(file, JSON.writeValueAsString(r));
        log.printf("%-12s C=%-3s seed %d: %2d branches, test accuracy %.4f (%.0f s)%n", m, c == 0 ? "-" : c, seed,
                r.branches(), r.accuracy(), seconds);
        SearchQualityReport.write(finishedRuns(), dataName, train.numExamples(), epochs, out, command());
    }

    /** A trained network, its architecture (searched, sampled or null for a preset) and alpha's spread (search only). */
    record Trained(MultiLayerNetwork net, Architecture architecture, Double alphaStd) {
    }

    /** Trains a network with its own branches for the run's epochs (SGD momentum 0.9, lr cosine, weight decay 1e-4). */
    private Trained train(MultiLayerNetwork net, int seed, Architecture a) {
        EpochDataSource source = EpochDataSource.shuffled(train, batch, seed);
        SearchConfig recipe = weightRecipe(SearchConfig.budget(OdbbBlocks.require(net).stream()
                .mapToInt(b -> b.conf().getPresentBranches().size()).sum()).identity(org.repnas.search.IdentityMode.SEARCHED), seed);
        RepNas.configure(net, recipe, source.batchesPerEpoch());
        for (int e = 0; e < epochs; e++) {
            ((NeuralNetwork) net).fit(source.iterator(e));
            net.incrementEpochCount();
        }
        // as RepNas.finish does for the search rows: every row is evaluated with statistics of its final weights
        RepNas.reestimateBatchNorm(net, source.iterator(0), recipe.getCalibrationBatches());
        return new Trained(net, a, null);
    }

    /** The one-stage search at budget C (branches kept in total, identity included). */
    private Trained search(int c, int seed) throws IOException {
        MultiLayerNetwork supernet = preset(BlockPreset.ALL, seed);
        SearchConfig config = searchConfig(c, seed, supernet);
        RepNasSearch.Result r = RepNasSearch.create(config, null, new PrintStream(PrintStream.nullOutputStream()))
                .run(supernet, EpochDataSource.shuffled(train, batch, seed), null);
        double[] alphas = r.architecture().blocks().stream().flatMap(b -> b.alpha().values().stream())
                .mapToDouble(Double::doubleValue).toArray();
        double mean = Arrays.stream(alphas).average().orElse(0);
        double std = Math.sqrt(Arrays.stream(alphas).map(v -> (v - mean) * (v - mean)).average().orElse(0));
        return new Trained((MultiLayerNetwork) r.model(), r.architecture(), std);
    }

    /** Every C (identity included) must leave each block one branch besides the always-on identities: said before any run. */
    private void checkBudgets(int[] cs) {
        MultiLayerNetwork supernet = preset(BlockPreset.ALL, 0);
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(supernet);
        long identities = blocks.stream().filter(b -> b.conf().getPresentBranches().contains(Branch.IDENTITY)).count();
        int all = blocks.stream().mapToInt(b -> b.conf().getPresentBranches().size()).sum();
        for (int c : cs) {
            if (c < blocks.size() + identities || c > all) {
                throw new IllegalArgumentException("--budgets " + c + ": the " + (cifar ? "VGG-16" : "FashionMnistNet")
                        + " supernet has " + blocks.size() + " blocks and " + identities + " always-on identity branches, so "
                        + "a budget C (identity included) must be between " + (blocks.size() + identities) + " and " + all);
            }
        }
    }

    /** The search's config for C branches in total: identity always on, so C minus the identities compete. */
    private SearchConfig searchConfig(int c, int seed, MultiLayerNetwork supernet) {
        long identities = OdbbBlocks.require(supernet).stream()
                .filter(b -> b.conf().getPresentBranches().contains(Branch.IDENTITY)).count();
        SearchConfig config = weightRecipe(SearchConfig.budget((int) (c - identities)), seed).modelName(dataName + " search");
        if (alphaLr != null) config.alphaLearningRate(alphaLr);
        if (lrSchedule != null) config.learningRateSchedule(lrSchedule);
        return config;
    }

    private SearchConfig weightRecipe(SearchConfig c, int seed) {
        return c.epochs(epochs).seed(seed).configureOptimizer(true).learningRate(lr).momentum(0.9).weightDecay(1e-4);
    }

    private MultiLayerNetwork preset(BlockPreset p, int seed) {
        return model(seed).preset(p).build().init();
    }

    private MultiLayerNetwork withArchitecture(Architecture a, int seed) {
        return model(seed).architecture(a).build().init();
    }

    @SuppressWarnings("rawtypes")
    private OdbbZooModel.Builder model(int seed) {
        return (cifar ? Vgg16Cifar10.builder() : FashionMnistNet.builder()).seed(seed);
    }

    private static int branchesOf(MultiLayerNetwork net) {
        return OdbbBlocks.require(net).stream().mapToInt(b -> b.conf().getActiveBranches().size()).sum();
    }

    private double accuracy(MultiLayerNetwork net) {
        Evaluation ev = net.evaluate(new ShuffledDataSetIterator(test, 500, 0, false));
        return ev.accuracy();
    }

    /** Latency of the fused network (one 3x3 convolution per block, whatever the branches) on a batch of 64. */
    private double fusedLatency(MultiLayerNetwork net) {
        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        INDArray x = test.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, Math.min(64, test.numExamples()))).dup();
        return Timing.medianMs(() -> fused.output(x, false), 5, 15);
    }

    private void loadData() throws IOException {
        if (data != null && Files.exists(data.resolve("data_batch_1.bin"))) {
            cifar = true;
            dataName = "CIFAR-10";
            train = Cifar10Binary.load(data, true, trainSize);
            test = Cifar10Binary.load(data, false, testSize);
            return;
        }
        dataName = "Fashion-MNIST";
        DataSet[] d = org.repnas.examples.QuickStart.loadData(data, trainSize, testSize);
        train = d[0];
        test = d[1];
    }

    private List<Run> finishedRuns() throws IOException {
        List<Run> out = new ArrayList<>();
        try (var files = Files.list(runs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(JSON.readValue(f.toFile(), Run.class));
            }
        }
        return out;
    }

    private static String runName(Method m, int c, int seed) {
        return m.name().toLowerCase() + (c > 0 ? "-b" + c : "") + "-s" + seed;
    }

    private String command() {
        return "mvn -B -q -pl examples exec:java -Dexec.mainClass=" + getClass().getName() + " -Dexec.args=\""
                + (data == null ? "" : "--data " + data + " ") + "--train-size " + trainSize + " --test-size " + testSize
                + " --epochs " + epochs + " --seeds " + seeds + (alphaLr == null ? "" : " --alpha-lr " + alphaLr) + "\" ("
                + LocalDate.now() + ")";
    }
}
