package org.repnas.layers.fusion;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.List;

/**
 * Structural re-parameterization as small pure functions over OIHW kernels and biases (RepNAS paper Eq. 1-5; the
 * transforms of DBB's {@code dbb_transforms.py}). Inputs are never modified; every result is a new array of the
 * inputs' data type.
 */
public final class ReparamTransforms {
    private ReparamTransforms() {
    }

    /** Eq. 1: a convolution (optionally with bias) followed by BatchNorm as one convolution with bias. */
    public static ConvKernel foldBatchNorm(ConvKernel conv, BatchNormStats bn) {
        requireChannels(conv.outChannels(), bn.channels(), "foldBatchNorm");
        INDArray scale = bn.scale().castTo(conv.kernel().dataType());
        INDArray kernel = conv.kernel().mul(scale.reshape(scale.length(), 1, 1, 1));
        INDArray bias = conv.bias().sub(bn.mean()).muli(scale).addi(bn.beta());
        return new ConvKernel(kernel, bias);
    }

    /** Eq. 1 for a bias-free convolution. */
    public static ConvKernel foldBatchNorm(INDArray kernel, BatchNormStats bn) {
        return foldBatchNorm(new ConvKernel(kernel, Nd4j.zeros(kernel.dataType(), kernel.size(0))), bn);
    }

    /** Eq. 2: parallel branches of the same kernel size summed into one convolution. */
    public static ConvKernel add(List<ConvKernel> branches) {
        if (branches.isEmpty()) {
            throw new IllegalArgumentException("add needs at least one branch");
        }
        INDArray kernel = branches.get(0).kernel().dup();
        INDArray bias = branches.get(0).bias().dup();
        for (ConvKernel b : branches.subList(1, branches.size())) {
            if (!Arrays.equals(kernel.shape(), b.kernel().shape())) {
                throw new IllegalArgumentException("add needs kernels of one shape (pad them first): "
                        + Arrays.toString(kernel.shape()) + " vs " + Arrays.toString(b.kernel().shape()));
            }
            kernel.addi(b.kernel());
            bias.addi(b.bias());
        }
        return new ConvKernel(kernel, bias);
    }

    /**
     * Eq. 3: a 1x1 convolution {@code first} ({@code [mid, in/groups, 1, 1]}, bias {@code [mid]}) followed by a KxK
     * convolution {@code second} ({@code [out, mid/groups, K, K]}, bias {@code [out]}), both with {@code groups}
     * groups, as one KxK convolution. Exact only when the intermediate map is padded with the first stage's bias (the
     * value it outputs for a zero input), not with zeros.
     */
    public static ConvKernel composeOneByOneThenKxK(ConvKernel first, ConvKernel second, int groups) {
        INDArray k1 = first.kernel();
        INDArray k2 = second.kernel();
        if (k1.size(2) != 1 || k1.size(3) != 1) {
            throw new IllegalArgumentException("first stage must be 1x1, got " + Arrays.toString(k1.shape()));
        }
        long mid = k1.size(0);
        long out = k2.size(0);
        if (mid % groups != 0 || out % groups != 0 || k2.size(1) * groups != mid) {
            throw new IllegalArgumentException("stages do not chain with " + groups + " groups: first "
                    + Arrays.toString(k1.shape()) + ", second " + Arrays.toString(k2.shape()));
        }
        long inPerGroup = k1.size(1);
        long midPerGroup = mid / groups;
        long outPerGroup = out / groups;
        long kh = k2.size(2);
        long kw = k2.size(3);
        INDArray kernel = Nd4j.create(k2.dataType(), out, inPerGroup, kh, kw);
        INDArray bias = second.bias().dup();
        for (int g = 0; g < groups; g++) {
            INDArray s = k2.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup),
                    NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());                  // [o, m, kh, kw]
            INDArray f = k1.get(NDArrayIndex.interval(g * midPerGroup, (g + 1) * midPerGroup),
                    NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(0));            // [m, i]
            INDArray sRows = s.permute(0, 2, 3, 1).dup('c').reshape(outPerGroup * kh * kw, midPerGroup);
            INDArray fused = sRows.mmul(f).reshape(outPerGroup, kh, kw, inPerGroup).permute(0, 3, 1, 2);
            kernel.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup),
                    NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()).assign(fused);
            INDArray b1 = first.bias().get(NDArrayIndex.interval(g * midPerGroup, (g + 1) * midPerGroup));
            // b'[o] = sum over m, u, v of second[o, m, u, v] * b1[m]
            INDArray perOut = s.sum(2, 3).mmul(b1.reshape(midPerGroup, 1)).reshape(outPerGroup);
            bias.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup)).addi(perOut);
        }
        return new ConvKernel(kernel, bias);
    }

    /** Eq. 4: KxK average pooling of {@code channels} maps as a grouped KxK convolution kernel. */
    public static INDArray averagePoolingKernel(DataType type, int channels, int k, int groups) {
        int perGroup = channels / groups;
        INDArray kernel = Nd4j.zeros(type, channels, perGroup, k, k);
        for (int c = 0; c < channels; c++) {
            kernel.get(NDArrayIndex.point(c), NDArrayIndex.point(c % perGroup), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(1.0 / (k * k));
        }
        return kernel;
    }

    /** The identity map of {@code channels} maps as a grouped KxK convolution kernel (a one at each centre). */
    public static INDArray identityKernel(DataType type, int channels, int k, int groups) {
        int perGroup = channels / groups;
        INDArray kernel = Nd4j.zeros(type, channels, perGroup, k, k);
        for (int c = 0; c < channels; c++) {
            kernel.putScalar(new long[]{c, c % perGroup, k / 2, k / 2}, 1.0);
        }
        return kernel;
    }

    /** Zero-pads a smaller odd kernel (e.g. 1x1, 1xK, Kx1) to {@code kh x kw}, keeping it centred. */
    public static INDArray padToSize(INDArray kernel, int kh, int kw) {
        long h = kernel.size(2);
        long w = kernel.size(3);
        if (h > kh || w > kw || (kh - h) % 2 != 0 || (kw - w) % 2 != 0) {
            throw new IllegalArgumentException("cannot centre a " + h + "x" + w + " kernel in " + kh + "x" + kw);
        }
        INDArray padded = Nd4j.zeros(kernel.dataType(), kernel.size(0), kernel.size(1), kh, kw);
        long top = (kh - h) / 2;
        long left = (kw - w) / 2;
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(top, top + h),
                NDArrayIndex.interval(left, left + w)).assign(kernel);
        return padded;
    }

    /**
     * Eq. 5's crop along one kernel dimension: the first index of the centre {@code size} of {@code k} (odd sizes),
     * k/2 - size/2 with integer division.
     */
    public static long centreStart(long k, long size) {
        if (size > k || size % 2 == 0) {
            throw new IllegalArgumentException("cannot crop an odd centre of " + size + " from " + k);
        }
        return k / 2 - size / 2;
    }

    private static INDArrayIndex centre(long k, long size) {
        return NDArrayIndex.interval(centreStart(k, size), centreStart(k, size) + size);
    }

    /**
     * Eq. 5: the centre {@code h x w} crop of a KxK kernel (weight sharing: a branch's kernel is inherited from the
     * main one). Rows [K/2 - h/2, K/2 + h/2], columns likewise (integer division).
     */
    public static INDArray centreCrop(INDArray kernel, int h, int w) {
        long k = kernel.size(2);
        if (h > k || w > kernel.size(3) || h % 2 == 0 || w % 2 == 0) {
            throw new IllegalArgumentException("cannot crop an odd " + h + "x" + w + " centre from "
                    + Arrays.toString(kernel.shape()));
        }
        return kernel.get(NDArrayIndex.all(), NDArrayIndex.all(), centre(k, h), centre(kernel.size(3), w)).dup();
    }

    /** SameDiff's YXIO {@code [kH, kW, in, out]} weight layout to OIHW. */
    public static INDArray yxioToOihw(INDArray yxio) {
        return yxio.permute(3, 2, 0, 1).dup('c');
    }

    /** OIHW to SameDiff's YXIO {@code [kH, kW, in, out]} weight layout. */
    public static INDArray oihwToYxio(INDArray oihw) {
        return oihw.permute(2, 3, 1, 0).dup('c');
    }

    private static void requireChannels(long conv, long bn, String where) {
        if (conv != bn) {
            throw new IllegalArgumentException(where + ": convolution has " + conv + " output channels but BatchNorm has " + bn);
        }
    }
}
