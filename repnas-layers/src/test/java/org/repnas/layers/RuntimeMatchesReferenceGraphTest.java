package org.repnas.layers;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layer's runtime against an independent reference: the SameDiff graph of {@link OdbbGraph} (the stock path's
 * {@code defineLayer}), differentiated by SameDiff's autodiff. In double precision the output and every gradient
 * (input, each parameter including alpha, and the running-statistics steps) must agree to a relative error of 1e-10,
 * for a sample of branch subsets of blocks of every kind; parameters the pass does not use must get exactly zero.
 */
class RuntimeMatchesReferenceGraphTest {
    private static final double TOLERANCE = 1e-10;
    private static final long H = 7, W = 10, BATCH = 3;

    static Stream<Arguments> blocks() {
        // K, stride, nIn, nOut, groups, weight sharing, gates (null: none), activation
        return Stream.of(
                Arguments.of(3, 1, 4, 4, 1, true, GateMode.STRAIGHT_THROUGH, Activation.TANH),
                Arguments.of(3, 2, 4, 6, 1, true, GateMode.RELAXED, Activation.TANH),
                Arguments.of(5, 1, 4, 4, 1, true, null, Activation.RELU),
                Arguments.of(5, 2, 3, 5, 1, true, GateMode.STRAIGHT_THROUGH, Activation.IDENTITY),
                Arguments.of(3, 1, 4, 4, 2, true, GateMode.RELAXED, Activation.SIGMOID),
                Arguments.of(3, 2, 4, 6, 2, false, GateMode.STRAIGHT_THROUGH, Activation.TANH),
                Arguments.of(3, 1, 4, 4, 1, false, GateMode.RELAXED, Activation.LEAKYRELU),
                Arguments.of(5, 1, 4, 6, 2, true, null, Activation.TANH));
    }

    @ParameterizedTest(name = "K={0} stride={1} {2}->{3} groups={4} sharing={5} gates={6} {7}")
    @MethodSource("blocks")
    void outputAndEveryGradientMatchTheReferenceGraph(int k, int stride, int nIn, int nOut, int groups, boolean sharing,
                                                     GateMode gates, Activation activation) {
        OdbbConvLayer built = OdbbConvLayer.builder().kernelSize(k).stride(stride).nIn(nIn).nOut(nOut).groups(groups)
                .weightSharing(sharing).preset(BlockPreset.ALL).gateMode(gates == null ? GateMode.STRAIGHT_THROUGH : gates)
                .gateTemperature(0.7).bnDecay(0.8).activation(activation).build();
        OdbbConvLayerImpl layer = layer(built, DataType.DOUBLE);
        OdbbConvLayer conf = layer.odbbConf();
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 5, BATCH, nIn, H, W);
        Random r = new Random(k * 1000L + stride * 100L + groups * 10L + (sharing ? 1 : 0));
        Map<Branch, Double> zeta = gates == null ? null : noise(conf.getPresentBranches(), r);
        layer.setGateNoise(zeta);

        double worst = 0;
        List<EnumSet<Branch>> subsets = sample(conf.getPresentBranches(), r);
        for (EnumSet<Branch> active : subsets) {
            conf.setActiveBranches(active);
            INDArray eps = Nd4j.rand(DataType.DOUBLE, BATCH, nOut, conf.outputSize(H), conf.outputSize(W)).subi(0.5);
            Map<String, INDArray> expected = reference(layer, x, eps, zeta, true);
            Map<String, INDArray> actual = runtime(layer, x, eps);
            double floor = 1e-4 * gradientNorm(expected);
            for (Map.Entry<String, INDArray> e : expected.entrySet()) {
                double err = error(actual.get(e.getKey()), e.getValue(), floor);
                assertTrue(err < TOLERANCE, active + " " + e.getKey() + ": error " + err + "\nexpected " + e.getValue()
                        + "\nactual " + actual.get(e.getKey()));
                worst = Math.max(worst, err);
            }
            for (String p : layer.paramTable().keySet()) {
                if (!expected.containsKey(p)) {
                    assertEquals(0.0, actual.get(p).norm1Number().doubleValue(), active + ": unused parameter " + p + " must get zero gradient");
                }
            }
            // inference (running statistics, no gates) against the reference's inference graph
            INDArray inference = layer.activate(x, false, LayerWorkspaceMgr.noWorkspaces());
            double err = error(inference, reference(layer, x, null, null, false).get("output"), 0);
            assertTrue(err < TOLERANCE, active + " inference output: error " + err);
            worst = Math.max(worst, err);
        }
        System.out.printf("K=%d s=%d %d->%d g=%d sharing=%b gates=%s %s: %d subsets, worst relative error %.1e%n",
                k, stride, nIn, nOut, groups, sharing, gates, activation, subsets.size(), worst);
    }

    /** The float runtime (oneDNN where libnd4j has it) agrees with the double reference to float precision. */
    @ParameterizedTest(name = "K={0} stride={1} {2}->{3} groups={4} sharing={5} gates={6} {7}")
    @MethodSource("blocks")
    void floatRuntimeAgreesWithTheDoubleReference(int k, int stride, int nIn, int nOut, int groups, boolean sharing,
                                                  GateMode gates, Activation activation) {
        OdbbConvLayer.Builder b = OdbbConvLayer.builder().kernelSize(k).stride(stride).nIn(nIn).nOut(nOut).groups(groups)
                .weightSharing(sharing).preset(BlockPreset.ALL).gateMode(gates == null ? GateMode.STRAIGHT_THROUGH : gates)
                .gateTemperature(0.7).activation(activation);
        OdbbConvLayerImpl single = layer(b.build(), DataType.FLOAT);
        OdbbConvLayerImpl dbl = layer(b.build(), DataType.DOUBLE);
        dbl.paramTable().forEach((n, p) -> p.assign(single.getParam(n).castTo(DataType.DOUBLE)));
        Map<Branch, Double> zeta = gates == null ? null : noise(single.odbbConf().getPresentBranches(), new Random(3));
        single.setGateNoise(zeta);
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 6, BATCH, nIn, H, W);
        INDArray eps = Nd4j.rand(DataType.DOUBLE, BATCH, nOut, single.odbbConf().outputSize(H), single.odbbConf().outputSize(W)).subi(0.5);
        Map<String, INDArray> expected = reference(dbl, x, eps, zeta, true);
        Map<String, INDArray> actual = runtime(single, x.castTo(DataType.FLOAT), eps.castTo(DataType.FLOAT));
        // float rounding (~1e-7 per op) accumulates; small gradients that are differences of large terms (the inner
        // BatchNorms' gamma and beta) are compared relative to 1% of the block's whole gradient
        double floor = 1e-2 * gradientNorm(expected);
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            double err = error(actual.get(e.getKey()), e.getValue(), floor);
            assertTrue(err < 1e-3, e.getKey() + ": float error " + err);
        }
    }

    private static OdbbConvLayerImpl layer(OdbbConvLayer conf, DataType type) {
        MultiLayerNetwork net = TestNetworks.singleBlock(conf, type, H, W);
        net.initGradientsView();
        OdbbConvLayerImpl layer = (OdbbConvLayerImpl) net.getLayer(0);
        TestNetworks.randomize(layer.paramTable(), 21);
        return layer;
    }

    private static Map<Branch, Double> noise(EnumSet<Branch> branches, Random r) {
        Map<Branch, Double> zeta = new EnumMap<>(Branch.class);
        for (Branch b : branches) {
            double u = 0.05 + 0.9 * r.nextDouble();
            zeta.put(b, Math.log(u / (1 - u)));
        }
        return zeta;
    }

    /** Every single branch, all branches, and random subsets of 2 to n-1 branches. */
    private static List<EnumSet<Branch>> sample(EnumSet<Branch> present, Random r) {
        List<EnumSet<Branch>> all = new ArrayList<>(TestNetworks.subsets(present));
        all.remove(EnumSet.noneOf(Branch.class));
        List<EnumSet<Branch>> out = new ArrayList<>();
        for (EnumSet<Branch> s : all) {
            if (s.size() == 1 || s.size() == present.size()) out.add(s);
        }
        List<EnumSet<Branch>> middle = new ArrayList<>(all);
        middle.removeAll(out);
        java.util.Collections.shuffle(middle, r);
        out.addAll(middle.subList(0, 5));
        return out;
    }

    /** Output, input gradient and parameter gradients (running statistics: their steps) from the layer's runtime. */
    private static Map<String, INDArray> runtime(OdbbConvLayerImpl layer, INDArray x, INDArray eps) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        Map<String, INDArray> out = new HashMap<>();
        out.put("output", layer.activate(x, true, mgr).dup());
        Pair<Gradient, INDArray> g = layer.backpropGradient(eps, mgr);
        out.put("input", g.getSecond().dup());
        g.getFirst().gradientForVariable().forEach((n, v) -> out.put(n, v.dup()));
        return out;
    }

    /**
     * The same from the reference graph: SameDiff's gradients of sum(output * eps) (training) or just the output
     * (inference); running statistics get (running - batch) * (1 - decay) from the graph's batch statistics.
     */
    private static Map<String, INDArray> reference(OdbbConvLayerImpl layer, INDArray x, INDArray eps, Map<Branch, Double> zeta,
                                                  boolean training) {
        OdbbConvLayer conf = layer.odbbConf();
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.var("input", x.dup());
        Map<String, SDVariable> used = new LinkedHashMap<>();
        boolean gated = training && zeta != null;
        OdbbGraph.Outputs graph = OdbbGraph.define(conf, sd, in,
                n -> used.computeIfAbsent(n, name -> sd.var(name, layer.getParam(name).dup())), conf.getActiveBranches(), training, gated);
        Map<String, INDArray> placeholders = new HashMap<>();
        if (gated) {
            for (Branch b : conf.getActiveBranches()) {
                placeholders.put(OdbbGraph.zetaPlaceholder(b), Nd4j.scalar(DataType.DOUBLE, zeta.get(b)).reshape(1, 1));
            }
        }
        Map<String, INDArray> out = new HashMap<>();
        if (!training) {
            out.put("output", graph.output().eval(placeholders));
            return out;
        }
        SDVariable objective = graph.output().mul(sd.constant(eps.castTo(DataType.DOUBLE))).sum();
        sd.setLossVariables(objective);
        List<String> stats = new ArrayList<>();
        graph.trainingBns().keySet().forEach(bn -> {
            stats.add(OdbbGraph.batchMean(bn.mean()));
            stats.add(OdbbGraph.batchVar(bn.var()));
        });
        stats.add(graph.output().name());
        Map<String, INDArray> values = sd.output(placeholders, stats.toArray(new String[0]));
        out.put("output", values.get(graph.output().name()));
        List<String> wrt = new ArrayList<>(used.keySet());
        wrt.add("input");
        Map<String, INDArray> grads = sd.calculateGradients(placeholders, wrt);
        for (String p : used.keySet()) {
            out.put(p, grads.get(p));
        }
        out.put("input", grads.get("input"));
        double keep = 1 - conf.getBnDecay();
        for (OdbbParams.BatchNorm bn : graph.trainingBns().keySet()) {
            long c = graph.trainingBns().get(bn);
            out.put(bn.mean(), layer.getParam(bn.mean()).castTo(DataType.DOUBLE)
                    .sub(values.get(OdbbGraph.batchMean(bn.mean())).reshape(1, c)).muli(keep));
            out.put(bn.var(), layer.getParam(bn.var()).castTo(DataType.DOUBLE)
                    .sub(values.get(OdbbGraph.batchVar(bn.var())).reshape(1, c)).muli(keep));
        }
        return out;
    }

    /**
     * ||actual - expected|| / max(||expected||, floor). The floor is for gradients that vanish in exact arithmetic and
     * are rounding noise (~1e-15) in both implementations: the 1x1-KxK's inner BatchNorm beta shifts the KxK
     * convolution's whole input uniformly (border included), which shifts its output uniformly, which the branch's
     * training-mode BatchNorm removes.
     */
    private static double error(INDArray actual, INDArray expected, double floor) {
        INDArray a = actual.castTo(DataType.DOUBLE).reshape(expected.shape());
        INDArray e = expected.castTo(DataType.DOUBLE);
        return a.sub(e).norm2Number().doubleValue() / Math.max(e.norm2Number().doubleValue(), floor);
    }

    /** The norm of all the gradients together (everything but the output). */
    private static double gradientNorm(Map<String, INDArray> expected) {
        double sumSq = 0;
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            if (!e.getKey().equals("output")) {
                sumSq += Math.pow(e.getValue().norm2Number().doubleValue(), 2);
            }
        }
        return Math.sqrt(sumSq);
    }
}
