package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.search.data.EpochDataSource;
import org.repnas.examples.data.ImageFolder;
import org.repnas.layers.BlockPreset;
import org.repnas.zoo.RepVgg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * RepVGG A0-B3 ODBB search on an ImageNet-style folder tree (train/CLASS/*.JPEG, val/CLASS/*.JPEG) read with DataVec's
 * ImageRecordReader. Defaults are the official RepNAS recipe ({@code SearchConfig.official()}: 150 epochs = 15 random
 * / 35 search / 100 fixed, batch 256, SGD momentum 0.9, lr 0.1 with cosine decay, weight decay 1e-4, gradient clipping
 * at 5, identity always on, budget int(0.34 x searchable branches): 44 for A0, plus its 17 identities), and the
 * official train.py's augmentation (random resized crop and horizontal flip; validation resized and centre-cropped).
 */
@Command(name = "ImageNetSearch", showDefaultValues = true, sortOptions = false,
        description = {"RepVGG ODBB search on an ImageNet-style folder tree (train/CLASS/*.JPEG, val/CLASS/*.JPEG).",
                "Defaults: the official RepNAS recipe (--budget: int(0.34 x searchable branches), 44 for A0)."})
public final class ImageNetSearch implements Callable<Integer> {
    @Mixin
    SearchOptions search = new SearchOptions("runs/imagenet", 150, 256, null, 0.1);

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "folder holding train/ and val/, one folder of images per class")
    Path data;

    @Option(names = "--model", paramLabel = "VARIANT", description = "RepVGG variant: ${COMPLETION-CANDIDATES}")
    RepVgg.Variant model = RepVgg.Variant.A0;

    @Option(names = "--groups", paramLabel = "G", description = "1, or 2 / 4 for RepVGG's g2 / g4 variants")
    int groups = 1;

    @Option(names = "--image-size", paramLabel = "PIXELS", description = "images are resized to this square size")
    int imageSize = 224;

    @Option(names = "--eval-batches", paramLabel = "N", description = "validation batches in the final table")
    int evalBatches = 4;

    @Option(names = "--no-augment", description = "no random resized crop and flip (training images resized and "
            + "centre-cropped like validation ones)")
    boolean noAugment;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    public static void main(String[] args) {
        Cli.main(new ImageNetSearch(), args);
    }

    /** Runs with these flags, every failure thrown (for tests). */
    static void run(String... args) throws Exception {
        Cli.run(new ImageNetSearch(), args);
    }

    @Override
    public Integer call() throws IOException {
        ImageFolder folder = ImageFolder.open(data);
        int size = imageSize;
        int batch = search.batch;
        long seed = search.seed;
        search.official = true;                     // the official recipe; --budget, --lr etc. still override it
        RepVgg net = RepVgg.builder(model).groups(groups).preset(BlockPreset.ALL)
                .numClasses(folder.classes().size()).inputShape(3, size, size).seed(seed).build();
        long trainImages = folder.count(true);
        org.repnas.search.SearchConfig config = search.config(net.displayName());
        System.out.printf("%s on %s: %d classes, %d training and %d validation images; %s%n", net.displayName(),
                data, folder.classes().size(), trainImages, folder.count(false), config);
        EpochDataSource source = EpochDataSource.of((trainImages + batch - 1) / batch, epoch -> {
            try {
                return folder.iterator(true, size, batch, seed * 1_000_003L + epoch, !noAugment);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        DataSetIterator val = folder.iterator(false, size, batch, seed);
        SearchRun.run(search, config, net::init, source, val,
                head(folder.iterator(false, size, batch, seed), evalBatches));
        return 0;
    }

    /** The first batches of an iterator as one data set (for the final table). */
    static DataSet head(DataSetIterator it, int batches) {
        java.util.List<DataSet> list = new java.util.ArrayList<>();
        for (int i = 0; i < batches && it.hasNext(); i++) list.add(it.next());
        return DataSet.merge(list);
    }
}
