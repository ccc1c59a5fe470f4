package org.repnas.examples.data;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The crop boxes follow torchvision's RandomResizedCrop: 8% to 100% of the area, aspect ratio 3/4 to 4/3. */
class RandomResizedCropFlipTest {

    @Test
    void boxesHaveTorchvisionsScaleAndRatio() {
        Random rng = new Random(1);
        double minScale = 1, maxScale = 0;
        for (int i = 0; i < 2000; i++) {
            int[] b = RandomResizedCropFlip.cropBox(300, 200, rng);
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 300 && b[1] + b[3] <= 200, java.util.Arrays.toString(b));
            double scale = (double) b[2] * b[3] / (300 * 200), ratio = (double) b[2] / b[3];
            assertTrue(scale > 0.075 && scale <= 1 && ratio > 0.74 && ratio < 1.35, scale + " " + ratio);
            minScale = Math.min(minScale, scale);
            maxScale = Math.max(maxScale, scale);
        }
        assertTrue(minScale < 0.1 && maxScale > 0.8, "the whole range is drawn: " + minScale + " to " + maxScale);
    }

    @Test
    void aVeryLongImageFallsBackToTheClampedCentreCrop() {
        int[] b = RandomResizedCropFlip.cropBox(1000, 10, new Random(1));
        assertEquals(10, b[3]);
        assertEquals(13, b[2]);                          // 10 x 4/3
        assertEquals((1000 - 13) / 2, b[0]);
    }
}
