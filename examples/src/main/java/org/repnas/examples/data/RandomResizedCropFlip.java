package org.repnas.examples.data;

import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.datavec.image.data.ImageWritable;
import org.datavec.image.transform.BaseImageTransform;

import java.util.Random;

import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * ImageNet training augmentation as the official RepNAS train.py has it: torchvision's RandomResizedCrop(size) (a crop
 * of 8% to 100% of the image's area with aspect ratio 3/4 to 4/3, resized bilinearly to size x size) then
 * RandomHorizontalFlip (p = 0.5), as a DataVec image transform. The random numbers come from its own generator,
 * seeded by the caller (per epoch): DataVec's own random transforms reseed ND4J's global generator instead.
 */
public class RandomResizedCropFlip extends BaseImageTransform<Mat> {
    static final double MIN_SCALE = 0.08;
    static final double MIN_RATIO = 3.0 / 4, MAX_RATIO = 4.0 / 3;

    private final int size;
    private final Random rng;

    public RandomResizedCropFlip(int size, long seed) {
        super(null);
        this.size = size;
        this.rng = new Random(seed);
        this.converter = new OpenCVFrameConverter.ToMat();
    }

    @Override
    protected ImageWritable doTransform(ImageWritable image, Random ignored) {
        if (image == null) return null;
        Mat mat = converter.convert(image.getFrame());
        int[] box = cropBox(mat.cols(), mat.rows(), rng);
        Mat out = new Mat();
        resize(mat.apply(new Rect(box[0], box[1], box[2], box[3])), out, new Size(size, size), 0, 0, INTER_LINEAR);
        if (rng.nextBoolean()) {
            Mat mirrored = new Mat();
            flip(out, mirrored, 1);                      // 1: around the vertical axis (left-right)
            out = mirrored;
        }
        return new ImageWritable(converter.convert(out));
    }

    /** torchvision's RandomResizedCrop.get_params: {x, y, width, height} of the crop in a width x height image. */
    static int[] cropBox(int width, int height, Random rng) {
        double area = (double) width * height;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (MIN_SCALE + rng.nextDouble() * (1 - MIN_SCALE));
            double ratio = Math.exp(Math.log(MIN_RATIO) + rng.nextDouble() * (Math.log(MAX_RATIO) - Math.log(MIN_RATIO)));
            int w = (int) Math.round(Math.sqrt(target * ratio));
            int h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int y = rng.nextInt(height - h + 1);
                int x = rng.nextInt(width - w + 1);
                return new int[]{x, y, w, h};
            }
        }
        // no fit in 10 tries (a very elongated image): the centre crop with the ratio clamped
        double ratio = (double) width / height;
        int w = width, h = height;
        if (ratio < MIN_RATIO) {
            h = (int) Math.round(w / MIN_RATIO);
        } else if (ratio > MAX_RATIO) {
            w = (int) Math.round(h * MAX_RATIO);
        }
        return new int[]{(width - w) / 2, (height - h) / 2, w, h};
    }
}
