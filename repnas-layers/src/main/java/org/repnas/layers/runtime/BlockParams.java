package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
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

    INDArray gradVector(String name) {
        INDArray g = grad(name);
        return g.reshape(g.length());
    }

    /**
     * A convolution kernel (YXIO) used by a branch: parameter {@code param}, or with weight sharing its centre crop
     * ({@code rows} x {@code cols}, null for the whole kernel); {@code weights} is that view.
     */
    record Kernel(String param, INDArrayIndex rows, INDArrayIndex cols, INDArray weights) {
        private static Kernel of(String param, INDArrayIndex rows, INDArrayIndex cols, INDArray whole) {
            return new Kernel(param, rows, cols, crop(whole, rows, cols));
        }
    }

    private static INDArray crop(INDArray whole, INDArrayIndex rows, INDArrayIndex cols) {
        return rows == null ? whole : whole.get(rows, cols, NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** A kernel parameter used whole. */
    Kernel kernel(String name) {
        return Kernel.of(name, null, null, param(name));
    }

    /**
     * The convolution kernel of branch {@code b}: its own parameter, or with weight sharing the centre crop of the main
     * kernel (Eq. 5), as a view.
     */
    Kernel branchKernel(Branch b) {
        if (!conf.isWeightSharing()) {
            return kernel(OdbbParams.branchKernel(b));
        }
        int k = conf.getKernelSize();
        int[] hw = OdbbConvLayer.branchKernelSize(b, k);
        if (hw[0] == k && hw[1] == k) {
            return kernel(OdbbParams.MAIN_KERNEL);
        }
        return Kernel.of(OdbbParams.MAIN_KERNEL, ReparamTransforms.centre(k, hw[0]), ReparamTransforms.centre(k, hw[1]),
                param(OdbbParams.MAIN_KERNEL));
    }

    /** Adds a kernel's gradient to its parameter's gradient view (a crop's to the centre of the main kernel's). */
    void addGradient(Kernel kernel, INDArray dWeights) {
        crop(grad(kernel.param()), kernel.rows(), kernel.cols()).addi(dWeights);
    }
}
