package org.repnas.examples;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.search.data.EpochDataSource;
import org.repnas.examples.data.ImageFolder;
import org.repnas.layers.BlockPreset;
import org.repnas.zoo.RepVgg;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * RepVGG A0-B3 ODBB search on an ImageNet-style folder tree (train/CLASS/*.JPEG, val/CLASS/*.JPEG) read with DataVec's
 * ImageRecordReader. Defaults are the paper's recipe: 150 epochs, batch 256, lr 0.1 with cosine decay, weight decay
 * 1e-4, budget 66 for the A series and 84 for the B series (RepVGG's own branch count).
 */
public final class ImageNetSearch {
    private ImageNetSearch() {
    }

    public static void main(String[] args) {
        Flags.run(args, ImageNetSearch::run);
    }

    static Flags flags() {
        return SearchRun.withSearchFlags(new Flags("ImageNetSearch",
                        "RepVGG ODBB search on an ImageNet-style folder tree (train/CLASS/*.JPEG, val/CLASS/*.JPEG)."),
                        "runs/imagenet", "150", "256", "", "0.1")
                .option("data", "", "folder holding train/ and val/, one folder of images per class (required)")
                .option("model", "A0", "RepVGG variant: A0, A1, A2, B0, B1, B2, B3")
                .option("groups", "1", "1, or 2 / 4 for RepVGG's g2 / g4 variants")
                .option("image-size", "224", "images are resized to this square size")
                .option("eval-batches", "4", "validation batches in the final table");
    }

    static void run(String[] args) throws IOException {
        Flags f = flags().parse(args);
        if (f.path("data") == null) {
            throw new IllegalArgumentException("--data is required: a folder with train/CLASS/*.JPEG and val/CLASS/*.JPEG");
        }
        RepVgg.Variant variant;
        try {
            variant = RepVgg.Variant.valueOf(f.get("model").toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model must be one of A0, A1, A2, B0, B1, B2, B3; got " + f.get("model"));
        }
        ImageFolder folder = ImageFolder.open(f.path("data"));
        int size = f.integer("image-size");
        int batch = f.integer("batch");
        long seed = f.integer("seed");
        int budget = f.get("budget").isEmpty() ? (variant.name().startsWith("A") ? 66 : 84) : f.integer("budget");
        RepVgg model = RepVgg.builder(variant).groups(f.integer("groups")).preset(BlockPreset.ALL)
                .numClasses(folder.classes().size()).inputShape(3, size, size).seed(seed).build();
        long trainImages = folder.count(true);
        System.out.printf("%s on %s: %d classes, %d training and %d validation images, budget %d%n", model.displayName(),
                f.path("data"), folder.classes().size(), trainImages, folder.count(false), budget);
        EpochDataSource source = EpochDataSource.of((trainImages + batch - 1) / batch, epoch -> {
            try {
                return folder.iterator(true, size, batch, seed * 1_000_003L + epoch);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        DataSetIterator val = folder.iterator(false, size, batch, seed);
        SearchRun.run(f, SearchRun.config(f, model.displayName()).withBudget(budget), model::init, source, val,
                head(folder.iterator(false, size, batch, seed), f.integer("eval-batches")));
    }

    /** The first batches of an iterator as one data set (for the final table). */
    static DataSet head(DataSetIterator it, int batches) {
        java.util.List<DataSet> list = new java.util.ArrayList<>();
        for (int i = 0; i < batches && it.hasNext(); i++) list.add(it.next());
        return DataSet.merge(list);
    }
}
