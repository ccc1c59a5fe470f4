package org.repnas.layers.fusion;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.repnas.layers.fusion.ReparamTransforms.*;

/** Fuses the active branches of one ODBB into a single KxK convolution with bias, exactly (inference semantics). */
public final class OdbbFusion {
    private OdbbFusion() {
    }

    /**
     * @param conf   the block's configuration (its active branches are fused)
     * @param params the block's parameters by name, as {@code OdbbConvLayerImpl.paramTable()} holds them
     */
    public static FusedConv fuse(OdbbConvLayer conf, Map<String, INDArray> params) {
        int k = conf.getKernelSize();
        List<ConvKernel> branches = new ArrayList<>();
        for (Branch b : conf.getActiveBranches()) {
            branches.add(foldBatchNorm(branchKernel(conf, params, b, k), bn(conf, params, OdbbParams.bn(b))));
        }
        return new FusedConv(add(branches), conf.getStride(), conf.getGroups(), conf.getActivation());
    }

    /** A branch up to (not including) its final BatchNorm, as one KxK convolution with bias. */
    private static ConvKernel branchKernel(OdbbConvLayer conf, Map<String, INDArray> params, Branch b, int k) {
        int g = conf.getGroups();
        return switch (b) {
            case KXK, CONV_1X1, CONV_1XK, CONV_KX1 -> withZeroBias(padToSize(ownKernel(conf, params, b), k, k));
            case CONV_1X1_KXK -> {
                ConvKernel first = foldBatchNorm(yxioToOihw(param(params, OdbbParams.PRE_KXK_KERNEL)),
                        bn(conf, params, OdbbParams.innerBn(b)));
                yield composeOneByOneThenKxK(first, withZeroBias(ownKernel(conf, params, b)), g);
            }
            case CONV_1X1_AVG -> {
                ConvKernel first = foldBatchNorm(ownKernel(conf, params, b), bn(conf, params, OdbbParams.innerBn(b)));
                INDArray avg = averagePoolingKernel(first.kernel().dataType(), (int) conf.getNOut(), k, g);
                yield composeOneByOneThenKxK(first, withZeroBias(avg), g);
            }
            case IDENTITY -> withZeroBias(identityKernel(dataType(params), (int) conf.getNIn(), k, g));
        };
    }

    /** The branch's convolution kernel in OIHW: its own parameter or the centre crop of the main kernel (Eq. 5). */
    private static INDArray ownKernel(OdbbConvLayer conf, Map<String, INDArray> params, Branch b) {
        if (!conf.isWeightSharing() || b == Branch.KXK || b == Branch.CONV_1X1_KXK) {
            String name = conf.isWeightSharing() ? OdbbParams.MAIN_KERNEL : OdbbParams.branchKernel(b);
            return yxioToOihw(param(params, name));
        }
        INDArray main = yxioToOihw(param(params, OdbbParams.MAIN_KERNEL));
        int k = conf.getKernelSize();
        return switch (b) {
            case CONV_1X1, CONV_1X1_AVG -> centreCrop(main, 1, 1);
            case CONV_1XK -> centreCrop(main, 1, k);
            case CONV_KX1 -> centreCrop(main, k, 1);
            default -> throw new IllegalStateException("no kernel for " + b);
        };
    }

    private static BatchNormStats bn(OdbbConvLayer conf, Map<String, INDArray> params, OdbbParams.BatchNorm p) {
        return BatchNormStats.of(param(params, p.gamma()), param(params, p.beta()), param(params, p.mean()), param(params, p.var()),
                conf.getBnEps());
    }

    private static ConvKernel withZeroBias(INDArray kernel) {
        return new ConvKernel(kernel, Nd4j.zeros(kernel.dataType(), kernel.size(0)));
    }

    private static INDArray param(Map<String, INDArray> params, String name) {
        INDArray p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("ODBB parameter '" + name + "' is missing; have " + params.keySet());
        }
        return p;
    }

    private static DataType dataType(Map<String, INDArray> params) {
        return params.values().iterator().next().dataType();
    }
}
