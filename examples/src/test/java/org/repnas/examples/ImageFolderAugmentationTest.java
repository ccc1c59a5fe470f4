package org.repnas.examples;

import org.datavec.image.loader.NativeImageLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.examples.data.ImageFolder;
import org.repnas.examples.data.ResizeCenterCrop;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ImageNet training images are augmented as the official recipe does, the same way again for the same epoch seed. */
class ImageFolderAugmentationTest {

    static INDArray firstBatch(ImageFolder folder, boolean train, long seed, boolean augment) throws Exception {
        DataSetIterator it = folder.iterator(train, 12, 6, seed, augment);
        return it.next().getFeatures();
    }

    @Test
    void trainingImagesAreAugmentedReproduciblyPerEpochSeed(@TempDir Path dir) throws Exception {
        ImageFolder folder = ImageFolder.open(TinyData.imageTree(dir, new String[]{"cat", "dog"}, 3, null));
        INDArray epoch1 = firstBatch(folder, true, 1_000_004L, true);
        assertArrayEquals(new long[]{6, 3, 12, 12}, epoch1.shape());
        assertEquals(epoch1, firstBatch(folder, true, 1_000_004L, true), "a resumed epoch sees the same images");
        assertNotEquals(epoch1, firstBatch(folder, true, 1_000_005L, true), "the next epoch other crops");
        // the same order without augmentation differs: the crops and flips are there
        assertNotEquals(epoch1, firstBatch(folder, true, 1_000_004L, false));
        assertEquals(firstBatch(folder, false, 7, true), firstBatch(folder, false, 7, true), "validation is fixed");
    }

    /** A 40 x 20 image, black but for a white 4 x 4 square at its centre and a white band at its left edge. */
    static Path marked(Path dir) throws Exception {
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(18, 8, 4, 4);
        g.fillRect(0, 0, 5, 20);
        g.dispose();
        Path f = dir.resolve("marked.png");
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    @Test
    void validationResizesTheShorterSideAndCropsTheCentre(@TempDir Path dir) throws Exception {
        INDArray x = new NativeImageLoader(16, 16, 3, new ResizeCenterCrop(16)).asMatrix(marked(dir).toFile());
        assertArrayEquals(new long[]{1, 3, 16, 16}, x.shape());
        INDArray channel = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0));
        // shorter side 20 -> 18 (16 x 256/224), so 36 x 18; the centre 16 x 16 keeps the square, not the left band
        assertTrue(channel.getDouble(8, 8) > 200 && channel.getDouble(7, 7) > 200, channel.toString());
        assertEquals(0, channel.getColumn(0).maxNumber().doubleValue(), 1e-9, "the left band is cropped away");
        long wide = Arrays.stream(channel.getRow(8).dup().data().asDouble()).filter(v -> v > 128).count();
        long tall = Arrays.stream(channel.getColumn(8).dup().data().asDouble()).filter(v -> v > 128).count();
        assertEquals(tall, wide, "the square stays square (a plain resize to 16 x 16 would halve its width): " + channel);
    }
}
