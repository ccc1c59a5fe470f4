package org.repnas.layers;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Small networks and random parameters shared by the layer tests. */
public final class TestNetworks {
    private TestNetworks() {
    }

    /** A network holding just one block, for inference comparisons. */
    public static MultiLayerNetwork singleBlock(OdbbConvLayer block, DataType type, long h, long w) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(type).seed(7).updater(new NoOp())
                .list()
                .layer(block)
                .setInputType(InputType.convolutional(h, w, block.getNIn()))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * Random values everywhere, including BatchNorm running statistics, the identity-initialised inner 1x1 and alpha,
     * so that no branch is trivially the identity.
     */
    public static void randomize(Map<String, INDArray> params, long seed) {
        Random r = new Random(seed);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String n = e.getKey();
            INDArray p = e.getValue();
            for (long i = 0; i < p.length(); i++) {
                double v;
                v = switch (OdbbParams.role(n)) {
                    case GAMMA -> 0.5 + r.nextDouble();
                    case RUNNING_VAR -> 0.5 + 1.5 * r.nextDouble();
                    case BETA, RUNNING_MEAN -> r.nextDouble() - 0.5;
                    case KERNEL, ALPHA -> r.nextGaussian() * 0.5;
                };
                p.putScalar(i, v);
            }
        }
    }

    /**
     * As {@link #randomize}, but kernels with variance 1 / (fan-in x branches): the activations of a deep stack of
     * multi-branch blocks stay finite (RepVGG-A0 has 22 blocks of up to 7 summed branches).
     */
    public static void randomizeForDepth(Map<String, INDArray> params, long seed) {
        randomize(params, seed);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            if (OdbbParams.role(e.getKey()) == OdbbParams.Role.KERNEL) {
                INDArray w = e.getValue();    // YXIO [kH, kW, in, out]
                double fanIn = w.size(0) * w.size(1) * w.size(2);
                w.muli(2.0 / Math.sqrt(fanIn * 7));     // randomize draws N(0, 0.5^2)
            }
        }
    }

    public static INDArray randomInput(DataType type, long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape).castTo(type);
    }

    /** Every subset of {@code of} (including the empty one), in a fixed order. */
    public static Set<EnumSet<Branch>> subsets(EnumSet<Branch> of) {
        Branch[] bs = of.toArray(new Branch[0]);
        Set<EnumSet<Branch>> out = new LinkedHashSet<>();
        for (int mask = 0; mask < (1 << bs.length); mask++) {
            EnumSet<Branch> s = EnumSet.noneOf(Branch.class);
            for (int i = 0; i < bs.length; i++) {
                if ((mask & (1 << i)) != 0) s.add(bs[i]);
            }
            out.add(s);
        }
        return out;
    }

    public static double relativeError(INDArray actual, INDArray expected) {
        INDArray a = actual.castTo(DataType.DOUBLE);
        INDArray e = expected.castTo(DataType.DOUBLE);
        return a.sub(e).norm2Number().doubleValue() / e.norm2Number().doubleValue();
    }
}
