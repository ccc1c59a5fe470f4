package org.repnas.examples.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CIFAR's random crop pads with black as torchvision does before normalizing, not with the normalized zero. */
class RandomCropFlipTest {

    static INDArray normalized(float[] raw, int n) {
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) out[i] = Cifar10Binary.normalize(raw[i], (i / 1024) % 3);
        return Nd4j.create(out, new long[]{n, 3, 32, 32}, DataType.FLOAT);
    }

    @Test
    void paddingTheNormalizedImageEqualsNormalizingThePaddedRawImage() {
        int n = 24;
        Random r = new Random(4);
        float[] raw = new float[n * 3 * 32 * 32];
        for (int i = 0; i < raw.length; i++) raw[i] = r.nextInt(256) / 255f;
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 10);

        DataSet fromNormalized = new DataSet(normalized(raw, n), labels);
        new RandomCropFlip(7, 3, 4, Cifar10Binary.normalizedBlack()).preProcess(fromNormalized);
        DataSet fromRaw = new DataSet(Nd4j.create(raw, new long[]{n, 3, 32, 32}, DataType.FLOAT), labels);
        new RandomCropFlip(7, 3, 4, new float[3]).preProcess(fromRaw);                  // torchvision: pad raw with 0
        INDArray expected = normalized(fromRaw.getFeatures().data().asFloat(), n);

        assertEquals(0, expected.sub(fromNormalized.getFeatures()).amaxNumber().doubleValue(), 1e-5);
        // and the crops did reach into the padding: a black border, normalized, in some image's first row
        float black = Cifar10Binary.normalizedBlack()[0];
        boolean border = false;
        for (int i = 0; i < n && !border; i++) {
            INDArray firstRow = fromNormalized.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.all());
            border = firstRow.sub(black).amaxNumber().doubleValue() < 1e-6;
        }
        assertTrue(border, "some crop starts inside the padding");
        assertTrue(Math.abs(black) > 1.5, "black normalizes far from 0: " + black);
    }
}
