package org.repnas.layers;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The SameDiff forward graph of one ODBB for a given set of active branches: what {@code OdbbConvLayer.defineLayer}
 * gives DL4J's stock SameDiff path (inference), and the independent reference the layer's own runtime
 * ({@link org.repnas.layers.runtime.BlockPass}) is tested against, by SameDiff's autodiff. Only active branches get ops.
 * In training, BatchNorm uses batch statistics (published as graph variables so that the running statistics can be
 * updated); in inference it uses the running statistics.
 *
 * <p>BatchNorm is written with elementwise ops rather than libnd4j's batchnorm op, whose backward pass assumes the
 * statistics are batch statistics of its own input: that does not hold for the padded BatchNorm below.
 */
final class OdbbGraph {

    /** Name of the placeholder holding the logistic noise zeta of a branch's gate. */
    static String zetaPlaceholder(Branch b) {
        return "zeta" + b.paramKey();
    }

    /** Graph variable of a BatchNorm's batch mean in training (named after its running mean). */
    static String batchMean(String runningMean) {
        return runningMean + "Batch";
    }

    /** Graph variable of a BatchNorm's batch variance in training. */
    static String batchVar(String runningVar) {
        return runningVar + "Batch";
    }

    /**
     * @param output      the block's activations
     * @param trainingBns in training, the BatchNorms whose batch statistics are graph variables
     *                    ({@link #batchMean}, {@link #batchVar}), with their channel counts
     */
    record Outputs(SDVariable output, Map<OdbbParams.BatchNorm, Long> trainingBns) {
    }

    private final OdbbConvLayer conf;
    private final SameDiff sd;
    private final Function<String, SDVariable> params;
    private final boolean training;
    private final Map<OdbbParams.BatchNorm, Long> trainingBns = new LinkedHashMap<>();

    private OdbbGraph(OdbbConvLayer conf, SameDiff sd, Function<String, SDVariable> params, boolean training) {
        this.conf = conf;
        this.sd = sd;
        this.params = params;
        this.training = training;
    }

    /**
     * Defines the block on {@code sd}.
     *
     * @param params the parameter variables by name; only the ones asked for are used by the graph
     * @param gated training with gates: each active branch b is scaled by 1 + s - stopGradient(s) (straight-through:
     *              value exactly 1, gradient that of s) or by s ({@link GateMode#RELAXED}), with
     *              s = sigmoid((alpha_b + zeta_b) / lambda); zeta_b is the placeholder {@link #zetaPlaceholder(Branch)}
     */
    static Outputs define(OdbbConvLayer conf, SameDiff sd, SDVariable input, Function<String, SDVariable> params,
                          Set<Branch> active, boolean training, boolean gated) {
        OdbbGraph g = new OdbbGraph(conf, sd, params, training);
        // sum over branches of (y_b * scale_b + shift_b) = sum of y_b * scale_b, plus the sum of the small shift vectors
        SDVariable sum = null;
        SDVariable shift = null;
        for (Branch b : active) {
            SDVariable y = g.branch(b, input);
            SDVariable gate = gated ? g.gate(b) : null;
            Normalized n = g.normalize(y, OdbbParams.bn(b), conf.getNOut(), gate, 0);
            sum = sum == null ? n.scaled() : sum.add(n.scaled());
            shift = shift == null ? n.shift() : shift.add(n.shift());
        }
        if (sum == null) {
            throw new IllegalStateException("OdbbConvLayer: no active branch");
        }
        sum = sum.add(shift);
        return new Outputs(SameDiffActivations.apply(sd, conf.getActivation(), sum), g.trainingBns);
    }

    private SDVariable branch(Branch b, SDVariable x) {
        int k = conf.getKernelSize();
        int s = conf.getStride();
        int p = k / 2;
        return switch (b) {
            case KXK -> conv(x, kernel(b), k, k, s, p, p);
            case CONV_1X1 -> conv(x, kernel(b), 1, 1, s, 0, 0);
            case CONV_1XK -> conv(x, kernel(b), 1, k, s, 0, p);
            case CONV_KX1 -> conv(x, kernel(b), k, 1, s, p, 0);
            case CONV_1X1_KXK -> {
                SDVariable t = conv(x, params.apply(OdbbParams.PRE_KXK_KERNEL), 1, 1, 1, 0, 0);
                t = batchNorm(t, OdbbParams.innerBn(b), conf.getNIn(), null, p);
                yield conv(t, kernel(b), k, k, s, 0, 0);
            }
            case CONV_1X1_AVG -> {
                SDVariable t = conv(x, kernel(b), 1, 1, 1, 0, 0);
                t = batchNorm(t, OdbbParams.innerBn(b), conf.getNOut(), null, p);
                yield sd.cnn().avgPooling2d(t, Pooling2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(0).pW(0)
                        .isNHWC(false).build());
            }
            case IDENTITY -> x;
        };
    }

    /** A branch's kernel: its own parameter, or (weight sharing) the centre crop of the main kernel (Eq. 5). */
    private SDVariable kernel(Branch b) {
        if (!conf.isWeightSharing()) {
            return params.apply(OdbbParams.branchKernel(b));
        }
        SDVariable w = params.apply(OdbbParams.MAIN_KERNEL);
        int k = conf.getKernelSize();
        int[] hw = OdbbConvLayer.branchKernelSize(b, k);
        if (hw[0] == k && hw[1] == k) {
            return w;
        }
        int c = k / 2;
        return w.get(SDIndex.interval(c - hw[0] / 2, c + hw[0] / 2 + 1), SDIndex.interval(c - hw[1] / 2, c + hw[1] / 2 + 1),
                SDIndex.all(), SDIndex.all());
    }

    /** NCHW convolution with a YXIO kernel; grouped convolution as per-group convolutions (libnd4j has no groups). */
    private SDVariable conv(SDVariable x, SDVariable w, int kh, int kw, int stride, int padH, int padW) {
        // Explicit kH/kW: conv2d_bp fails validation when they are left to be inferred (-1).
        Conv2DConfig cfg = Conv2DConfig.builder().kH(kh).kW(kw).sH(stride).sW(stride).pH(padH).pW(padW)
                .dataFormat(Conv2DConfig.NCHW).build();
        int groups = conf.getGroups();
        if (groups == 1) {
            return sd.cnn().conv2d(x, w, cfg);
        }
        SDVariable[] xs = sd.split(x, groups, 1);
        SDVariable[] ws = sd.split(w, groups, 3);
        SDVariable[] ys = new SDVariable[groups];
        for (int i = 0; i < groups; i++) {
            ys[i] = sd.cnn().conv2d(xs[i], ws[i], cfg);
        }
        return sd.concat(1, ys);
    }

    private SDVariable gate(Branch b) {
        SDVariable zeta = sd.placeHolder(zetaPlaceholder(b), params.apply(OdbbParams.alpha(b)).dataType(), 1, 1);
        SDVariable s = sd.nn().sigmoid(params.apply(OdbbParams.alpha(b)).add(zeta).div(conf.getGateTemperature()));
        SDVariable gate = conf.getGateMode() == GateMode.RELAXED ? s
                : s.sub(new StopGradient(sd, s).outputVariable()).add(1.0);
        return gate.reshape(1, 1, 1, 1);
    }

    /** A BatchNorm's output as its two parts: the input times the per-channel scale, and the [1, C, 1, 1] shift. */
    private record Normalized(SDVariable scaled, SDVariable shift) {
        SDVariable output() {
            return scaled.add(shift);
        }
    }

    /**
     * BatchNorm over channels of an NCHW map; with {@code padding > 0} the result is padded with the BN output of a
     * zero input (BN applied to the zero-padded map with the unpadded map's statistics), so that a following
     * convolution or pooling fuses exactly at the borders.
     */
    private SDVariable batchNorm(SDVariable y, OdbbParams.BatchNorm bn, long channels, SDVariable gate, int padding) {
        return normalize(y, bn, channels, gate, padding).output();
    }

    /** As {@link #batchNorm}, the shift left apart. A gate scales gamma and beta, which scales the output. */
    private Normalized normalize(SDVariable y, OdbbParams.BatchNorm bn, long channels, SDVariable gate, int padding) {
        SDVariable gamma = params.apply(bn.gamma()).reshape(1, channels, 1, 1);
        SDVariable beta = params.apply(bn.beta()).reshape(1, channels, 1, 1);
        if (gate != null) {
            gamma = gamma.mul(gate);
            beta = beta.mul(gate);
        }
        SDVariable mean;
        SDVariable var;
        if (training) {
            // Mean of squared deviations rather than sd.math().moments: libnd4j's moments backprop gets the variance's
            // derivative wrong by ~5e-8 (relative, measured in double), too coarse for a reference.
            mean = y.mean(batchMean(bn.mean()), true, 0, 2, 3);
            SDVariable centred = y.sub(mean);
            var = centred.mul(centred).mean(batchVar(bn.var()), true, 0, 2, 3);
            trainingBns.put(bn, channels);
        } else {
            mean = params.apply(bn.mean()).reshape(1, channels, 1, 1);
            var = params.apply(bn.var()).reshape(1, channels, 1, 1);
        }
        if (padding > 0) {
            SDVariable pads = sd.constant(Nd4j.createFromArray(new int[][]{{0, 0}, {0, 0}, {padding, padding}, {padding, padding}}));
            y = sd.nn().pad(y, pads, 0.0);
        }
        SDVariable scale = gamma.mul(sd.math().rsqrt(var.add(conf.getBnEps())));
        SDVariable shift = beta.sub(mean.mul(scale));
        // libnd4j's backward of a [N,C,H,W] x [1,C,1,1] multiply is ~6x slower than a same-shape one plus a broadcast
        // add's: spell the per-channel scale out to the full shape with an add, then multiply element by element.
        SDVariable scaleFull = sd.zerosLike(y).add(scale);
        return new Normalized(y.mul(scaleFull), shift);
    }

}
