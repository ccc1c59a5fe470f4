package org.repnas.examples.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;

/**
 * CIFAR augmentation (as DBB and ACNet train VGG-16): pad by 4 with black, random 32x32 crop, random horizontal flip.
 * The images are already normalized, so the padding is the normalized value of a black pixel per channel (a zero there
 * would be the data set's mean colour, not the black border torchvision's RandomCrop(32, padding=4) adds before
 * normalizing). The random numbers of epoch e come from (seed, e), batch after batch, so a resumed run draws the same
 * crops.
 */
public class RandomCropFlip implements DataSetPreProcessor {
    private final int pad;
    private final float[] fill;
    private final Random rng;

    /**
     * @param fill the padding value of each channel: {@link Cifar10Binary#normalizedBlack()} for normalized CIFAR
     *             images, zeros for raw ones
     */
    public RandomCropFlip(long seed, int epoch, int pad, float[] fill) {
        this.pad = pad;
        this.fill = fill.clone();
        this.rng = new Random(seed * 7_919L + epoch);
    }

    @Override
    public void preProcess(DataSet ds) {
        INDArray x = ds.getFeatures();                   // [n, c, h, w]
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        if (fill.length != c) {
            throw new IllegalArgumentException("RandomCropFlip has padding values for " + fill.length + " channels, "
                    + "the images have " + c);
        }
        INDArray padded = Nd4j.createUninitialized(x.dataType(), n, c, h + 2 * pad, w + 2 * pad);
        for (int ch = 0; ch < c; ch++) {
            padded.get(NDArrayIndex.all(), NDArrayIndex.point(ch), NDArrayIndex.all(), NDArrayIndex.all()).assign(fill[ch]);
        }
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pad, pad + h),
                NDArrayIndex.interval(pad, pad + w)).assign(x);
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        for (int i = 0; i < n; i++) {
            int dy = rng.nextInt(2 * pad + 1), dx = rng.nextInt(2 * pad + 1);
            boolean flip = rng.nextBoolean();
            INDArray crop = padded.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(dy, dy + h),
                    NDArrayIndex.interval(dx, dx + w));
            out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(flip ? flipWidth(crop) : crop);
        }
        ds.setFeatures(out);
    }

    /** A [c, h, w] image mirrored left to right. */
    static INDArray flipWidth(INDArray crop) {
        long w = crop.size(2);
        INDArray flipped = Nd4j.createUninitialized(crop.dataType(), crop.shape());
        for (int col = 0; col < w; col++) {
            flipped.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(col))
                    .assign(crop.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(w - 1 - col)));
        }
        return flipped;
    }
}
