package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;
import org.repnas.layers.fusion.ReparamTransforms;

import java.util.Map;

/** A block's parameters and their gradient views, by name (the layer's param and gradient tables). */
public final class BlockParams {
    private final OdbbConvLayer conf;
    private final Map<String, INDArray> params;
    private Map<String, INDArray> grads;

    public BlockParams(OdbbConvLayer conf, Map<String, INDArray> params) {
        this.conf = conf;
        this.params = params;
    }

    /** The gradient views backward writes to (DL4J creates them only when it first needs gradients). */
    void useGradients(Map<String, INDArray> gradientViews) {
        this.grads = gradientViews;
    }

    INDArray param(String name) {
        INDArray p = params.get(name);
        if (p == null) {
            throw new IllegalStateException(conf + ": parameter " + name + " missing; present: " + params.keySet());
        }
        return p;
    }

    INDArray grad(String name) {
        INDArray g = grads.get(name);
        if (g == null) {
            throw new IllegalStateException(conf + ": no gradient view for " + name);
        }
        return g;
    }

    /** A {@code [1, C]} parameter as the rank-1 {@code [C]} vector libnd4j's per-channel ops take (a view). */
    INDArray vector(String name) {
        INDArray p = param(name);
        return p.reshape(p.length());
    }

    /**
     * A convolution kernel (YXIO) used by a branch: parameter {@code param}, or with weight sharing its centre
     * {@code height x width} crop; {@code weights} is that view.
     */
    record Kernel(String param, int height, int width, INDArray weights) {
    }

    /**
     * The centre {@code height x width} crop of a YXIO kernel, as a view built from strides. (ND4J M2.1's
     * {@code get(interval(1, 2), ...)} on a view with an offset, as a layer's parameters are, returns an empty array.)
     */
    private static INDArray crop(INDArray whole, int height, int width) {
        if (height == whole.size(0) && width == whole.size(1)) {
            return whole;
        }
        long top = ReparamTransforms.centreStart(whole.size(0), height);
        long left = ReparamTransforms.centreStart(whole.size(1), width);
        long[] stride = whole.stride();
        return Nd4j.create(whole.data(), new long[]{height, width, whole.size(2), whole.size(3)}, stride,
                whole.offset() + top * stride[0] + left * stride[1], whole.ordering());
    }

    /** A kernel parameter used whole. */
    Kernel kernel(String name) {
        INDArray w = param(name);
        return new Kernel(name, (int) w.size(0), (int) w.size(1), w);
    }

    /**
     * The convolution kernel of branch {@code b}: its own parameter, or with weight sharing the centre crop of the main
     * kernel (Eq. 5).
     */
    Kernel branchKernel(Branch b) {
        if (!conf.isWeightSharing()) {
            return kernel(OdbbParams.branchKernel(b));
        }
        int[] hw = OdbbConvLayer.branchKernelSize(b, conf.getKernelSize());
        return new Kernel(OdbbParams.MAIN_KERNEL, hw[0], hw[1], crop(param(OdbbParams.MAIN_KERNEL), hw[0], hw[1]));
    }

    /** Adds a kernel's gradient to its parameter's gradient view (a crop's to the centre of the main kernel's). */
    void addGradient(Kernel kernel, INDArray dWeights) {
        crop(grad(kernel.param()), kernel.height(), kernel.width()).addi(dWeights);
    }
}
