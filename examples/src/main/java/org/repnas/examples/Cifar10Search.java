package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.examples.data.Cifar10Binary;
import org.repnas.examples.data.RandomCropFlip;
import org.repnas.layers.BlockPreset;
import org.repnas.zoo.Vgg16Cifar10;

import java.io.IOException;

/**
 * VGG-16 ODBB search on CIFAR-10 (the paper's Section 4.1) from the binary distribution under --data. Defaults are
 * the paper's Table 1 recipe: 600 epochs, batch 128, lr 0.1 with cosine decay, weight decay 1e-4, random crop and
 * flip. --preset trains a hand-designed block instead (PLAIN, REPVGG, ACB, DBB: every branch kept, nothing searched).
 */
public final class Cifar10Search {
    private Cifar10Search() {
    }

    public static void main(String[] args) {
        Flags.run(args, Cifar10Search::run);
    }

    static Flags flags() {
        return SearchRun.withSearchFlags(new Flags("Cifar10Search",
                        "VGG-16 ODBB search on CIFAR-10 (binary distribution: data_batch_1..5.bin, test_batch.bin)."),
                        "runs/cifar10", "600", "128", "39", "0.1")
                .option("data", "", "folder with data_batch_1.bin ... data_batch_5.bin and test_batch.bin (required)")
                .option("preset", "ALL", "blocks: ALL searches; PLAIN, REPVGG, ACB or DBB train that block without search")
                .option("train-size", "0", "training images used (0: all 50,000)")
                .option("test-size", "0", "test images used (0: all 10,000)")
                .flag("no-augment", "no random crop and flip");
    }

    static void run(String[] args) throws IOException {
        Flags f = flags().parse(args);
        if (f.path("data") == null) {
            throw new IllegalArgumentException("--data is required: the folder of CIFAR-10's binary files (cifar-10-batches-bin)");
        }
        BlockPreset preset = BlockPreset.valueOf(f.get("preset").toUpperCase());
        DataSet train = Cifar10Binary.load(f.path("data"), true, f.integer("train-size"));
        DataSet test = Cifar10Binary.load(f.path("data"), false, f.integer("test-size"));
        Vgg16Cifar10 model = Vgg16Cifar10.builder().preset(preset).seed(f.integer("seed")).build();
        int budget = preset == BlockPreset.ALL ? f.integer("budget") : totalBranches(model);
        System.out.printf("CIFAR-10: %d training and %d test images; VGG-16 with %s blocks, budget %d%n",
                train.numExamples(), test.numExamples(), preset, budget);
        int batch = f.integer("batch");
        long seed = f.integer("seed");
        boolean augment = !f.bool("no-augment");
        EpochDataSource source = EpochDataSource.of((train.numExamples() + batch - 1) / batch, epoch -> {
            ShuffledDataSetIterator it = new ShuffledDataSetIterator(train, batch, seed, true);
            it.setEpoch(epoch);
            if (augment) it.setPreProcessor(new RandomCropFlip(seed, epoch, 4));
            return it;
        });
        SearchRun.run(f, SearchRun.config(f, "VGG-16 (CIFAR-10)").withBudget(budget), model::init, source,
                new ShuffledDataSetIterator(test, 500, 0, false), head(test, 1000));
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
