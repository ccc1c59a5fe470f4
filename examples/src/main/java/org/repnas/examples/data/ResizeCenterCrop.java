package org.repnas.examples.data;

import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.datavec.image.data.ImageWritable;
import org.datavec.image.transform.BaseImageTransform;

import java.util.Random;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * ImageNet evaluation preprocessing as the official RepNAS train.py has it, scaled to the image size: torchvision's
 * Resize(256) (shorter side to 256/224 of the size, bilinear) then CenterCrop(224) (size x size), as a DataVec image
 * transform.
 */
public class ResizeCenterCrop extends BaseImageTransform<Mat> {
    private final int size;

    public ResizeCenterCrop(int size) {
        super(null);
        this.size = size;
        this.converter = new OpenCVFrameConverter.ToMat();
    }

    /** The shorter side before the crop: 256 for 224. */
    static int resizeTo(int size) {
        return (int) Math.round(size * 256.0 / 224);
    }

    @Override
    protected ImageWritable doTransform(ImageWritable image, Random ignored) {
        if (image == null) return null;
        Mat mat = converter.convert(image.getFrame());
        int shorter = resizeTo(size);
        int w = mat.cols(), h = mat.rows();
        // torchvision: the shorter side becomes `shorter`, the longer int(shorter * long / short)
        int newW = w <= h ? shorter : (int) ((long) shorter * w / h);
        int newH = w <= h ? (int) ((long) shorter * h / w) : shorter;
        Mat resized = new Mat();
        resize(mat, resized, new Size(newW, newH), 0, 0, INTER_LINEAR);
        int top = (int) Math.round((newH - size) / 2.0), left = (int) Math.round((newW - size) / 2.0);
        return new ImageWritable(converter.convert(resized.apply(new Rect(left, top, size, size)).clone()));
    }
}
