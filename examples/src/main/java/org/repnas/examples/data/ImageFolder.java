package org.repnas.examples.data;

import org.datavec.api.io.filters.RandomPathFilter;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.split.FileSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.image.loader.NativeImageLoader;
import org.datavec.image.recordreader.ImageRecordReader;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * An ImageNet-style folder tree ({@code train/CLASS/*.JPEG}, {@code val/CLASS/*.JPEG}) read with DataVec's
 * ImageRecordReader, the label being the parent folder. The tree is checked first: both splits exist, have the same
 * classes, and no class folder is empty.
 */
public final class ImageFolder {
    static final String[] EXTENSIONS = {"jpg", "jpeg", "JPEG", "JPG", "png", "PNG", "bmp"};

    private final Path root;
    private final List<String> classes;

    private ImageFolder(Path root, List<String> classes) {
        this.root = root;
        this.classes = classes;
    }

    /** Checks the tree under {@code root}; every problem named with the folder and what was expected. */
    public static ImageFolder open(Path root) throws IOException {
        if (root == null || !Files.isDirectory(root)) {
            throw new IOException("Image folder " + root + " does not exist: pass --data pointing to a folder with train/ and val/,"
                    + " each holding one folder of images per class (train/CLASS/*.JPEG).");
        }
        TreeSet<String> trainClasses = classesOf(root.resolve("train"));
        TreeSet<String> valClasses = classesOf(root.resolve("val"));
        if (!trainClasses.equals(valClasses)) {
            TreeSet<String> onlyTrain = new TreeSet<>(trainClasses);
            onlyTrain.removeAll(valClasses);
            TreeSet<String> onlyVal = new TreeSet<>(valClasses);
            onlyVal.removeAll(trainClasses);
            throw new IOException("train/ and val/ in " + root + " have different classes: only in train " + onlyTrain
                    + ", only in val " + onlyVal + ".");
        }
        return new ImageFolder(root, new ArrayList<>(trainClasses));
    }

    private static TreeSet<String> classesOf(Path split) throws IOException {
        if (!Files.isDirectory(split)) {
            throw new IOException("Missing folder " + split + ": expected " + split.getFileName() + "/CLASS/*.JPEG.");
        }
        TreeSet<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.list(split)) {
            for (Path c : s.filter(Files::isDirectory).toList()) {
                try (Stream<Path> images = Files.list(c)) {
                    if (images.noneMatch(ImageFolder::isImage)) {
                        throw new IOException("Class folder " + c + " holds no image (.jpg, .jpeg, .png, .bmp): remove it or "
                                + "add its images.");
                    }
                }
                out.add(c.getFileName().toString());
            }
        }
        if (out.isEmpty()) {
            throw new IOException(split + " has no class folders: expected " + split.getFileName() + "/CLASS/*.JPEG.");
        }
        return out;
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        if (dot < 0) return false;
        String ext = n.substring(dot + 1);
        for (String e : EXTENSIONS) if (e.equals(ext)) return true;
        return false;
    }

    public List<String> classes() {
        return classes;
    }

    /** Number of images in train/ or val/. */
    public long count(boolean train) throws IOException {
        try (Stream<Path> s = Files.walk(root.resolve(train ? "train" : "val"))) {
            return s.filter(Files::isRegularFile).filter(ImageFolder::isImage).count();
        }
    }

    /**
     * Minibatches of {@code train} or {@code val} as size x size images, pixels scaled to [0, 1], in a random order fixed
     * by {@code seed}. Training images get the official recipe's augmentation ({@link RandomResizedCropFlip}), drawn
     * from {@code seed} too: pass a seed per epoch, and a resumed run sees the same images. Validation images, and
     * training ones with {@code augment} false, are resized and centre-cropped ({@link ResizeCenterCrop}).
     */
    public DataSetIterator iterator(boolean train, int size, int batch, long seed, boolean augment) throws IOException {
        File dir = root.resolve(train ? "train" : "val").toFile();
        FileSplit split = new FileSplit(dir, NativeImageLoader.ALLOWED_FORMATS, new Random(seed));
        InputSplit[] parts = split.sample(new RandomPathFilter(new Random(seed), NativeImageLoader.ALLOWED_FORMATS), 1.0);
        ImageRecordReader reader = new ImageRecordReader(size, size, 3, new ParentPathLabelGenerator());
        // the augmentation's generator apart from the order's (same seed, other stream)
        reader.initialize(parts[0], train && augment ? new RandomResizedCropFlip(size, seed ^ 0x5DEECE66DL)
                : new ResizeCenterCrop(size));
        if (!reader.getLabels().equals(classes)) {
            reader.setLabels(classes);
        }
        DataSetIterator it = new RecordReaderDataSetIterator(reader, batch, 1, classes.size());
        it.setPreProcessor(new ImagePreProcessingScaler(0, 1));
        return it;
    }

    /** {@link #iterator(boolean, int, int, long, boolean)} with augmentation for training. */
    public DataSetIterator iterator(boolean train, int size, int batch, long seed) throws IOException {
        return iterator(train, size, batch, seed, true);
    }
}
