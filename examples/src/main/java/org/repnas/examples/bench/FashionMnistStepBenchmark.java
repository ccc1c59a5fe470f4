package org.repnas.examples.bench;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.examples.Timing;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.zoo.FashionMnistNet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * A training step (forward, backward, update) of the FashionMnistNet supernet at batch 64 on random 28x28 images: all
 * 39 branches with the search's gates, and the 18 branches of the shipped architecture without gates (the fixed
 * phase). With {@code steps N} it just trains N steps of the 39-branch supernet, for peak memory measurements.
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.FashionMnistStepBenchmark [-Dexec.args="steps 300"]</pre>
 */
public final class FashionMnistStepBenchmark {
    static final int BATCH = 64;

    public static void main(String[] args) throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 10);
        for (int i = 0; i < BATCH; i++) y.putScalar(i, i % 10, 1f);
        DataSet ds = new DataSet(x, y);
        if (args.length == 2 && args[0].equals("steps")) {
            MultiLayerNetwork net = supernet();
            long start = System.nanoTime();
            for (int i = 0; i < Integer.parseInt(args[1]); i++) net.fit(ds);
            System.out.printf("%s steps of the 39-branch supernet in %.1f s; peak RSS %s%n", args[1],
                    (System.nanoTime() - start) / 1e9, peakRss());
            return;
        }
        MultiLayerNetwork all = supernet();
        MultiLayerNetwork kept = FashionMnistNet.builder().build().init();
        Architecture.fromJson(Files.readString(Path.of(args.length > 0 ? args[0] : "docs/pretrained-fashion-mnist/architecture.json")))
                .applyTo(kept);
        double[] ms = Timing.interleavedMedianMs(3, 15, () -> all.fit(ds), () -> kept.fit(ds));
        System.out.printf("FashionMnistNet training step, batch %d (median of 15):%n", BATCH);
        System.out.printf("| branches | step (ms) |%n|---|---|%n| 39, gated | %.1f |%n| 18 kept | %.1f |%n", ms[0], ms[1]);
        System.out.println("peak RSS " + peakRss());
    }

    /** The supernet with the search's gates on every block (logistic noise, as the search draws it). */
    static MultiLayerNetwork supernet() {
        MultiLayerNetwork net = FashionMnistNet.builder().build().init();
        Random r = new Random(3);
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof OdbbConvLayerImpl block) {
                Map<Branch, Double> zeta = new EnumMap<>(Branch.class);
                for (Branch b : block.odbbConf().getPresentBranches()) {
                    double u = r.nextDouble();
                    zeta.put(b, Math.log(u / (1 - u)));
                }
                block.setGateNoise(zeta);
            }
        }
        return net;
    }

    static String peakRss() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .findFirst().orElse("VmHWM: ?").replaceAll("\\s+", " ");
    }
}
