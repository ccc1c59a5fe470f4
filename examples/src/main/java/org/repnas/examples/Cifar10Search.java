package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.examples.data.Cifar10Binary;
import org.repnas.examples.data.RandomCropFlip;
import org.repnas.layers.BlockPreset;
import org.repnas.zoo.Vgg16Cifar10;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * VGG-16 ODBB search on CIFAR-10 (the paper's Section 4.1) from the binary distribution under --data. Defaults are
 * the paper's Table 1 recipe: 600 epochs, batch 128, lr 0.1 with cosine decay, weight decay 1e-4, random crop and
 * flip. --preset trains a hand-designed block instead (PLAIN, REPVGG, ACB, DBB: every branch kept, nothing searched).
 */
@Command(name = "Cifar10Search", showDefaultValues = true, sortOptions = false,
        description = "VGG-16 ODBB search on CIFAR-10 (binary distribution: data_batch_1..5.bin, test_batch.bin).")
public final class Cifar10Search implements Callable<Integer> {
    @Mixin
    SearchOptions search = new SearchOptions("runs/cifar10", 600, 128, 39, 0.1);

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "folder with data_batch_1.bin ... data_batch_5.bin and test_batch.bin (cifar-10-batches-bin)")
    Path data;

    @Option(names = "--preset", paramLabel = "BLOCK", description = "blocks: ALL searches; PLAIN, REPVGG, ACB or DBB train "
            + "that block without search (one of ${COMPLETION-CANDIDATES})")
    BlockPreset preset = BlockPreset.ALL;

    @Option(names = "--train-size", paramLabel = "N", description = "training images used (0: all 50,000)")
    int trainSize = 0;

    @Option(names = "--test-size", paramLabel = "N", description = "test images used (0: all 10,000)")
    int testSize = 0;

    @Option(names = "--no-augment", description = "no random crop and flip")
    boolean noAugment;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    public static void main(String[] args) {
        Cli.main(new Cifar10Search(), args);
    }

    /** Runs with these flags, every failure thrown (for tests). */
    static void run(String... args) throws Exception {
        Cli.run(new Cifar10Search(), args);
    }

    @Override
    public Integer call() throws IOException {
        DataSet train = Cifar10Binary.load(data, true, trainSize);
        DataSet test = Cifar10Binary.load(data, false, testSize);
        Vgg16Cifar10 model = Vgg16Cifar10.builder().preset(preset).seed(search.seed).build();
        int budget = preset == BlockPreset.ALL ? search.budget : totalBranches(model);
        System.out.printf("CIFAR-10: %d training and %d test images; VGG-16 with %s blocks, budget %d%n",
                train.numExamples(), test.numExamples(), preset, budget);
        int batch = search.batch;
        long seed = search.seed;
        boolean augment = !noAugment;
        EpochDataSource source = EpochDataSource.of((train.numExamples() + batch - 1) / batch, epoch -> {
            ShuffledDataSetIterator it = new ShuffledDataSetIterator(train, batch, seed, true);
            it.setEpoch(epoch);
            if (augment) it.setPreProcessor(new RandomCropFlip(seed, epoch, 4, Cifar10Binary.normalizedBlack()));
            return it;
        });
        org.repnas.search.SearchConfig config = search.config("VGG-16 (CIFAR-10)").withBudget(budget);
        if (preset != BlockPreset.ALL) config.identity(org.repnas.search.IdentityMode.SEARCHED);   // every branch kept
        SearchRun.run(search, config, model::init, source,
                new ShuffledDataSetIterator(test, 500, 0, false), head(test, 1000));
        return 0;
    }

    static int totalBranches(Vgg16Cifar10 model) {
        return model.conf().getConfs().stream().map(c -> c.getLayer())
                .filter(l -> l instanceof org.repnas.layers.OdbbConvLayer)
                .mapToInt(l -> ((org.repnas.layers.OdbbConvLayer) l).getPresentBranches().size()).sum();
    }

    static DataSet head(DataSet d, int n) {
        return n >= d.numExamples() ? d : (DataSet) d.getRange(0, n);
    }
}
